import Foundation

/// The local side of `dpm status`: what the working database holds and whether it changed
/// since, the template cache, stashes, attached databases, the media folder, and anything
/// that disagrees with what dpm last did. Read from the databases' labels (the truth),
/// compared with .dpm/state.json.
public struct LocalStatus: Codable, Sendable {
    public struct Active: Codable, Sendable {
        public var profile: String?
        public var snapshot: String?
        public var kind: ProfileKind?
        public var since: String
        /// Tables with rows inserted, updated or deleted since the database was switched in
        /// (from PostgreSQL's statistics, which a server crash resets).
        public var tablesWritten: [String]
        /// Migration versions applied since (nil when unknown).
        public var migrationsApplied: Int?
    }

    public struct MediaState: Codable, Sendable {
        public var path: String
        public var exists: Bool
        public var files: Int
    }

    public var active: Active?
    public var templates: [TemplateInfo]
    public var stashes: [StashInfo]
    public var attached: [AttachedInfo]
    public var media: MediaState?
    /// Sentences about anything dpm did not do itself, or left unfinished.
    public var notes: [String]

    public static func gather(_ local: LocalDatabases) throws -> LocalStatus {
        let names = local.names
        let catalog = try local.catalog()
        let state = LocalState.load(names)
        var notes: [String] = []
        var active: Active?

        if let label = catalog.workingLabel {
            let written = try local.tablesWritten(in: names.working)
            let applied = try MigrationDetector.appliedCount(in: names.working, on: local.query)
            active = Active(profile: label.profile, snapshot: label.snapshot, kind: label.kind, since: label.since,
                            tablesWritten: written, migrationsApplied: label.migrations.map { max(0, applied - $0) })
            if let recorded = state.active, recorded.profile != label.profile || recorded.snapshot != label.snapshot {
                notes.append("\(names.working) holds \(label.contentDescription), not \(recorded.profile ?? "?") \(recorded.snapshot ?? "") as .dpm/state.json says; it was switched from another checkout or by hand.")
            }
        } else if catalog.workingExists, let recorded = state.active {
            notes.append("\(names.working) carries no dpm label although dpm last switched it to \(recorded.profile ?? "?") \(recorded.snapshot ?? ""); it was replaced outside dpm.")
        } else if !catalog.workingExists {
            let undo = catalog.stashes.isEmpty ? "" : " or \"dpm undo\" brings back the last stash"
            notes.append("The working database \(names.working) does not exist; \"dpm use <profile>\" creates it\(undo).")
        }
        let present = Set(catalog.items(.template).map(\.name))
        for name in state.templates where !present.contains(name) {
            notes.append("The template \(name) was dropped outside dpm; the next use of its snapshot rebuilds it.")
        }
        notes += catalog.untrusted.map(\.note)
        if FileManager.default.fileExists(atPath: SwitchJournal.path(names)) {
            notes.append("A switch was interrupted; the next dpm use, undo, stash drop|prune, attach, detach or cache prune finishes or rolls it back.")
        }
        return LocalStatus(active: active, templates: CacheInventory(local: local).list(catalog), stashes: Stashes(local: local).list(catalog),
                           attached: Attachments(local: local).list(catalog), media: mediaState(local.workspace.project.mediaDirectory),
                           notes: notes)
    }

    private static func mediaState(_ path: String?) -> MediaState? {
        guard let path else { return nil }
        var files = 0
        let walker = FileManager.default.enumerator(atPath: path)
        while let relative = walker?.nextObject() as? String {
            var info = stat()
            if lstat("\(path)/\(relative)", &info) == 0, info.st_mode & S_IFMT == S_IFREG { files += 1 }
        }
        return MediaState(path: path, exists: FolderMoves.exists(path), files: files)
    }
}
