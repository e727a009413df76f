/// PostgreSQL database names dpm creates or accepts.
public enum DatabaseNames {
    /// PostgreSQL silently truncates identifiers longer than this many bytes.
    public static let maxBytes = 63

    public static func validate(_ name: String) throws {
        guard !name.isEmpty, name.utf8.count <= maxBytes, !name.contains("\0") else {
            throw DPMError.invalidInput("\"\(name)\" is not a usable database name: it must be 1 to \(maxBytes) bytes.")
        }
    }

    /// A name for a database that dpm is building or retiring beside `target`, e.g. `app__dpm_restore_1a2b3c4d`.
    public static func temporary(beside target: String, purpose: String) -> String {
        let suffix = "__dpm_\(purpose)_\(randomSuffix())"
        var base = target
        while base.utf8.count + suffix.utf8.count > maxBytes { base.removeLast() }
        return base + suffix
    }
}
