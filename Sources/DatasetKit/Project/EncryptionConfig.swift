import Foundation
import Yams

/// `encryption:` in dpm.yaml: who can read the store. Public keys only (the file is committed);
/// a comment after a key may say whose it is.
///
/// ```yaml
/// encryption:
///   recipients:
///     - age1…   # alice
/// ```
public struct EncryptionConfig: Sendable, Equatable {
    public var recipients: [AgeRecipient]

    public init(recipients: [AgeRecipient]) {
        self.recipients = recipients
    }

    static let key = "encryption"

    /// The section at `node`; a misspelt key or a malformed or repeated recipient is one
    /// sentence naming its line. An empty section or list is kept as no recipients (a file
    /// `dpm key add` is about to fill): it still means the store is to be encrypted, and an
    /// upload refuses it rather than store plaintext.
    static func parse(_ node: Node, in file: YAMLFile) throws -> EncryptionConfig {
        func refuse(_ line: Int?, _ problem: String) -> DPMError {
            DPMError.invalidInput("\(file.displayName) line \(line ?? file.line(of: key)): \(problem).")
        }
        if isNull(node) { return EncryptionConfig(recipients: []) }
        guard let mapping = node.mapping else {
            throw refuse(nil, "\"encryption\" must be a mapping with recipients (a list of age1… public keys)")
        }
        var recipients: [AgeRecipient]?
        for (name, value) in mapping {
            guard name.string == "recipients" else {
                throw refuse(name.mark?.line, "unknown setting \"encryption.\(name.string ?? "?")\" (known: recipients)")
            }
            if isNull(value) {
                recipients = []
                continue
            }
            guard let sequence = value.sequence else {
                throw refuse(value.mark?.line ?? name.mark?.line, "encryption.recipients must be a list of age1… public keys (one \"- age1…\" line each)")
            }
            var parsed: [AgeRecipient] = []
            for item in sequence {
                guard let text = item.string else {
                    throw refuse(item.mark?.line, "each of encryption.recipients must be an age1… public key")
                }
                let recipient: AgeRecipient
                do {
                    recipient = try AgeRecipient(text)
                } catch let error as DPMError {
                    throw refuse(item.mark?.line, "encryption.recipients: \(error.message.dropLast())")
                }
                if parsed.contains(recipient) {
                    throw refuse(item.mark?.line, "encryption.recipients lists \(recipient) twice")
                }
                parsed.append(recipient)
            }
            recipients = parsed
        }
        return EncryptionConfig(recipients: recipients ?? [])
    }

    private static func isNull(_ node: Node) -> Bool {
        guard case .scalar(let scalar) = node else { return false }
        return scalar.style == .plain && ["", "~", "null"].contains(scalar.string)
    }
}
