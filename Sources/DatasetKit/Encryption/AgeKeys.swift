import Crypto
import Foundation

/// An age X25519 public key, `age1…`: whom a file is encrypted to. Anyone may know it.
public struct AgeRecipient: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// The 32 bytes of the Curve25519 point.
    public let rawKey: Data

    static let prefix = "age"

    /// Parses `age1…`; a malformed key is one sentence naming it and what is wrong.
    public init(_ text: String) throws {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        // A secret key pasted by mistake is never repeated back.
        let shown = trimmed.uppercased().hasPrefix("AGE-SECRET-KEY-") ? "The text given" : "\"\(trimmed.prefix(100))\""
        func refuse(_ problem: String) -> DPMError {
            DPMError.invalidInput("\(shown) is not an age public key: \(problem).")
        }
        if trimmed.isEmpty { throw refuse("it is empty") }
        if trimmed.uppercased().hasPrefix("AGE-SECRET-KEY-") {
            throw refuse("it is a secret key; give the public key (age1…, which age-keygen -y prints) and keep the secret one to yourself")
        }
        let decoded: (prefix: String, data: [UInt8])
        do {
            decoded = try Bech32.decode(trimmed)
        } catch let problem as Bech32.Problem {
            guard trimmed.lowercased().hasPrefix("age1") else { throw refuse("it does not start with \"age1\"") }
            throw refuse(problem.description)
        }
        switch decoded.prefix {
        case Self.prefix:
            break
        case "age1pq":
            throw refuse("it is a post-quantum key (age1pq…), which dpm does not use yet; make an X25519 key with dpm key generate or age-keygen")
        case let other where other.hasPrefix("age1"):
            throw refuse("it is the key of an age plugin (\(other)1…), which dpm cannot use; make an X25519 key with dpm key generate or age-keygen")
        default:
            throw refuse("it does not start with \"age1\"")
        }
        guard decoded.data.count == 32 else { throw refuse("it holds \(decoded.data.count) bytes, not the 32 of an X25519 key") }
        rawKey = Data(decoded.data)
    }

    init(rawKey: Data) {
        precondition(rawKey.count == 32, "an X25519 public key has 32 bytes")
        self.rawKey = rawKey
    }

    /// `age1…`, lower case, as age-keygen prints it.
    public var text: String { Bech32.encode(prefix: Self.prefix, data: Array(rawKey)) }
    public var description: String { text }

    /// The name of this recipient's key file in a store: the first 32 hex digits of the
    /// SHA-256 of `text` (`printf %s age1… | sha256sum | cut -c1-32`).
    public var fingerprint: String { String(SHA256Hex.of(Data(text.utf8)).prefix(32)) }

    var publicKey: Curve25519.KeyAgreement.PublicKey {
        // 32 bytes are always a valid X25519 public key encoding.
        try! Curve25519.KeyAgreement.PublicKey(rawRepresentation: rawKey)
    }

    public static func < (lhs: AgeRecipient, rhs: AgeRecipient) -> Bool { lhs.text < rhs.text }
}

/// An age X25519 secret key, `AGE-SECRET-KEY-1…`: what decrypts files sent to its recipient.
/// Its text never appears in a message or a description.
public struct AgeIdentity: Sendable, CustomStringConvertible {
    /// The 32-byte scalar; kept as bytes (swift-crypto's key type is not Sendable).
    private let rawKey: Data

    var privateKey: Curve25519.KeyAgreement.PrivateKey {
        // Any 32 bytes are a valid X25519 private key (the scalar is clamped when used).
        try! Curve25519.KeyAgreement.PrivateKey(rawRepresentation: rawKey)
    }

    static let prefix = "age-secret-key-"

    /// Parses `AGE-SECRET-KEY-1…`; `source` names where it came from ("line 3 of x.txt") in
    /// the sentence a malformed key gets, which never repeats the key.
    public init(_ text: String, source: String) throws {
        func refuse(_ problem: String) -> DPMError {
            DPMError.invalidInput("\(source) is not an age secret key: \(problem).")
        }
        if text.uppercased().hasPrefix("AGE-PLUGIN-") {
            throw refuse("it is the identity of an age plugin, which dpm cannot use; make an X25519 key with dpm key generate or age-keygen")
        }
        if text.lowercased().hasPrefix("age1") {
            throw refuse("it is a public key (age1…); an identity file holds the secret key (AGE-SECRET-KEY-1…)")
        }
        let decoded: (prefix: String, data: [UInt8])
        do {
            decoded = try Bech32.decode(text)
        } catch let problem as Bech32.Problem {
            guard text.uppercased().hasPrefix("AGE-SECRET-KEY-1") else { throw refuse("it does not start with \"AGE-SECRET-KEY-1\"") }
            throw refuse(problem.description)
        }
        if decoded.prefix == "age-secret-key-pq-" {
            throw refuse("it is a post-quantum key, which dpm does not use yet; make an X25519 key with dpm key generate or age-keygen")
        }
        guard decoded.prefix == Self.prefix else { throw refuse("it does not start with \"AGE-SECRET-KEY-1\"") }
        guard decoded.data.count == 32 else { throw refuse("it holds \(decoded.data.count) bytes, not the 32 of an X25519 key") }
        rawKey = Data(decoded.data)
    }

    init(privateKey: Curve25519.KeyAgreement.PrivateKey) {
        rawKey = privateKey.rawRepresentation
    }

    /// A new identity from the system's random source.
    public static func generate() -> AgeIdentity {
        AgeIdentity(privateKey: Curve25519.KeyAgreement.PrivateKey())
    }

    /// `AGE-SECRET-KEY-1…`, upper case, as age-keygen writes it. Only for the identity file.
    public var secretText: String {
        Bech32.encode(prefix: Self.prefix, data: Array(rawKey)).uppercased()
    }

    public var recipient: AgeRecipient { AgeRecipient(rawKey: privateKey.publicKey.rawRepresentation) }

    public var description: String { "the identity of \(recipient)" }
}
