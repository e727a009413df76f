import Foundation

/// The media half of a switch, written before the database renames commit and removed
/// when the media folders are in place. The databases commit in one transaction, so after
/// a crash the working database's label says which side won: the journal is then either
/// finished (the renames committed) or undone (they did not).
struct SwitchJournal: Codable {
    /// Also written into the new working database's label.
    var token: String
    var mediaTarget: String?
    /// Where the current media folder goes with the stashed database.
    var stashMedia: String?
    /// The complete folder that becomes the media folder.
    var incomingMedia: String?
    /// Whether `incomingMedia` is a copy made for this switch (removed on rollback) rather
    /// than a stash's own folder (kept).
    var incomingIsCopy: Bool
    /// A clone made for this switch, dropped on rollback.
    var incomingDatabase: String?

    static func path(_ names: LocalNames) -> String { "\(names.stateDirectory)/switch.json" }

    func write(_ names: LocalNames) throws {
        try AtomicFile.write(try CanonicalJSON.encode(self), to: Self.path(names), mode: 0o600)
    }

    /// Not fsynced: a journal that survives a power cut is finished again, which is harmless.
    static func remove(_ names: LocalNames) {
        unlink(path(names))
    }

    /// Moves the media folders as the committed switch requires; safe to run again after a crash.
    func finishMedia(between: () throws -> Void = {}) throws {
        guard let mediaTarget else { return }
        if let stashMedia, FolderMoves.exists(mediaTarget), !FolderMoves.exists(stashMedia) {
            try FolderMoves.move(mediaTarget, to: stashMedia)
            try between()
        }
        if let incomingMedia, FolderMoves.exists(incomingMedia) {
            if FolderMoves.exists(mediaTarget) {
                throw DPMError.conflict("Cannot put the new media folder in place: \(mediaTarget) appeared while dpm was switching; move it away and run the command again.")
            }
            try FolderMoves.move(incomingMedia, to: mediaTarget)
        }
    }

    /// Removes what the switch prepared before its renames: its own media copy (never a
    /// stash's folder, nor anything but the `incoming-` folder a switch makes) and its clone.
    func rollBack(_ local: LocalDatabases) {
        if incomingIsCopy, let incomingMedia,
           let inside = FilePath.relative(incomingMedia, inside: local.names.mediaCacheDirectory),
           FilePath.isPlainName(inside), inside.hasPrefix("incoming-") {
            FolderMoves.remove(incomingMedia)
        }
        if let incomingDatabase { local.dropIfPresent(incomingDatabase) }
    }

    /// Finishes or rolls back a switch a crash interrupted; run under the project lock
    /// before any command that changes local databases. Says what it did.
    static func repair(_ local: LocalDatabases) throws {
        let names = local.names
        defer { removeStrayWork(local) }
        guard let data = FileManager.default.contents(atPath: path(names)) else { return }
        guard let journal = try? JSONDecoder().decode(SwitchJournal.self, from: data) else {
            remove(names)
            return
        }
        let catalog = try local.catalog()
        if catalog.workingLabel?.token == journal.token {
            try journal.finishMedia()
            local.workspace.note("Finished an interrupted switch: \(names.working) holds \(catalog.workingLabel?.contentDescription ?? "?") and its media is in place.")
        } else {
            journal.rollBack(local)
            local.workspace.note("An interrupted switch was rolled back: \(names.working) and the media folder are as they were before it.")
        }
        remove(names)
    }

    /// Clones, templates and media copies that a command holding the project lock was
    /// building when it died: only such commands make these names, so none is in use now.
    private static func removeStrayWork(_ local: LocalDatabases) {
        let names = local.names
        local.dropLeftovers(of: ["incoming", "template"])
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: names.mediaCacheDirectory)) ?? []
        for entry in entries where entry.hasPrefix("incoming-") {
            FolderMoves.remove("\(names.mediaCacheDirectory)/\(entry)")
        }
    }
}
