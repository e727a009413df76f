import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// An age identity file, as age-keygen writes it: `# created: …` and `# public key: age1…`
/// comments, then one `AGE-SECRET-KEY-1…` line; several keys and blank lines are allowed.
public enum IdentityFile {
    /// The identities in the file at `path`. A missing file says how to make one; a malformed
    /// line is named by its number, never by its content.
    public static func load(path: String) throws -> [AgeIdentity] {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            if !FileManager.default.fileExists(atPath: path) {
                throw DPMError.notFound("There is no age identity file at \(path); make one with \"dpm key generate\", or set DPM_IDENTITY_FILE to yours (age-keygen makes them too).")
            }
            throw DPMError.system("Cannot read the identity file \(path): \(SystemErrorText.reason(error)).")
        }
        return try parse(data, name: path)
    }

    static func parse(_ data: Data, name: String) throws -> [AgeIdentity] {
        guard let text = String(data: data, encoding: .utf8) else {
            throw DPMError.invalidInput("The identity file \(name) is not text; an age identity file holds AGE-SECRET-KEY-1… lines.")
        }
        var identities: [AgeIdentity] = []
        for (index, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = rawLine.trimmingCharacters(in: .whitespacesAndNewlines)
            if line.isEmpty || line.hasPrefix("#") { continue }
            identities.append(try AgeIdentity(line, source: "Line \(index + 1) of the identity file \(name)"))
        }
        guard !identities.isEmpty else {
            throw DPMError.invalidInput("The identity file \(name) holds no age identity (an AGE-SECRET-KEY-1… line).")
        }
        return identities
    }

    /// The text age-keygen would write for `identity`.
    public static func text(for identity: AgeIdentity, created: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        return "# created: \(formatter.string(from: created))\n# public key: \(identity.recipient)\n\(identity.secretText)\n"
    }

    /// Writes a new identity to `path` (0600; a missing folder is made 0700) and returns it.
    /// An existing file is never replaced: it may be the only copy of someone's key. The file
    /// appears whole or not at all.
    public static func generate(path: String, now: Date = Date()) throws -> AgeIdentity {
        if FileManager.default.fileExists(atPath: path) {
            throw DPMError.conflict("There is already an identity file at \(path), and dpm never overwrites one (it may be the only copy of a key that opens a store); to use another file, set DPM_IDENTITY_FILE.")
        }
        let folder = FilePath.parent(path)
        try createFolder(folder, purpose: "the folder of the identity file", permissions: PrivateFiles.folderMode)
        let identity = AgeIdentity.generate()
        let temporary = FilePath.join(folder, ".\(FilePath.lastComponent(path)).tmp-\(randomSuffix())")
        defer { unlink(temporary) }
        let writer = try FileWriter(path: temporary, exclusive: true, mode: PrivateFiles.fileMode)
        guard chmod(temporary, PrivateFiles.fileMode) == 0 else { throw fileError("set the permissions of", temporary) }
        try Data(text(for: identity, created: now).utf8).withUnsafeBytes { try writer.write($0) }
        try writer.finish()
        // link(2) publishes the complete file and fails if one appeared meanwhile.
        guard link(temporary, path) == 0 else {
            if errno == EEXIST {
                throw DPMError.conflict("There is already an identity file at \(path), and dpm never overwrites one; to use another file, set DPM_IDENTITY_FILE.")
            }
            throw fileError("create the identity file", path)
        }
        AtomicFile.syncDirectory(folder)
        return identity
    }
}
