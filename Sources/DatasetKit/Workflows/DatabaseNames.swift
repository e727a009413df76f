/// PostgreSQL database names dpm creates or accepts.
public enum DatabaseNames {
    /// PostgreSQL silently truncates identifiers longer than this many bytes.
    public static let maxBytes = 63

    public static func validate(_ name: String) throws {
        guard !name.isEmpty, name.utf8.count <= maxBytes, !name.contains("\0") else {
            throw DPMError("\"\(name)\" is not a usable database name: it must be 1 to \(maxBytes) bytes.")
        }
    }

    /// Matches the names `temporary(beside:purpose:)` makes for restores: what an interrupted
    /// restore (or a replaced database that could not be dropped) leaves behind.
    public static let leftoverPattern = "__dpm_(restore|old|incoming|template|clone|scratch)_[0-9a-f]{8}$"

    /// A name for a database that dpm is building or retiring beside `target`, e.g. `app__dpm_restore_1a2b3c4d`.
    public static func temporary(beside target: String, purpose: String) -> String {
        let suffix = "__dpm_\(purpose)_\(randomSuffix())"
        var base = target
        while base.utf8.count + suffix.utf8.count > maxBytes { base.removeLast() }
        return base + suffix
    }
}

/// Swaps a completed database in for its target: the old one is dropped only after
/// the new one carries the target's name.
struct DatabaseSwap {
    let server: DatabaseServer
    let note: @Sendable (String) -> Void

    func replace(_ target: String, with completed: String) throws {
        guard try server.databaseExists(target) else {
            try server.renameDatabase(completed, to: target)
            return
        }
        try server.terminateConnections(to: target)
        let retired = DatabaseNames.temporary(beside: target, purpose: "old")
        try server.renameDatabase(target, to: retired)
        do {
            try server.renameDatabase(completed, to: target)
        } catch {
            try? server.renameDatabase(retired, to: target)
            throw error
        }
        do {
            try server.dropDatabase(retired)
        } catch {
            note("The replaced database was kept as \(retired) because it could not be dropped: \(error.userMessage)")
        }
    }
}
