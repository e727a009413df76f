import Foundation

/// A profile's snapshot as `restore`, `use` and `attach` load it: from the store, or for
/// clean profiles from the files in git.
public struct SnapshotChoice: Sendable {
    public let profile: ProfileName
    public let kind: ProfileKind
    /// The snapshot id, or for clean profiles "git-" and the hash of the files.
    public let key: String
    /// The record; nil for clean profiles.
    public let snapshot: Snapshot?
    /// What the source database was (encoding, collation, settings), to create its copy
    /// like it; for clean profiles from their manifest, when it records them.
    public let properties: DatabaseProperties?
}

/// Fills an empty database with a snapshot's data, and stages its media, verifying every object.
struct SnapshotLoader: SnapshotLoading {
    let workspace: Workspace
    let server: DatabaseServer
    let jobs: Int

    /// Loaders over `server` for workflows that choose their parallelism per snapshot.
    static func maker(workspace: Workspace, server: DatabaseServer) -> @Sendable (Int) -> any SnapshotLoading {
        { jobs in SnapshotLoader(workspace: workspace, server: server, jobs: jobs) }
    }

    func choose(_ profile: ProfileName, id: String?) throws -> SnapshotChoice {
        let spec = try workspace.project.profile(profile)
        if spec.kind == .clean {
            if let id {
                throw DPMError.invalidInput("The clean profile \(profile) lives in git under db/migration-base/\(profile)/, so --snapshot \(id) does not apply; check out the commit you want instead.")
            }
            // The files in git are what is loaded (people and squash edit them); their manifest
            // only has to be one dpm wrote.
            let manifest = try workspace.project.manifest(profile)
            let key = try CleanProfileFiles(project: workspace.project, server: server).contentKey(profile: profile)
            return SnapshotChoice(profile: profile, kind: .clean, key: key, snapshot: nil, properties: manifest?.source.properties)
        }
        let snapshot = try SnapshotCatalog(store: workspace.store, project: workspace.project, cache: workspace.cache).snapshot(of: profile, id: id)
        guard snapshot.compression == workspace.codec.name else {
            throw DPMError.invalidInput("Snapshot \(snapshot.id) of \(profile) is compressed with \(snapshot.compression), which this dpm cannot read (it uses \(workspace.codec.name)).")
        }
        // Before anything is built: whether the store is encrypted (and opens), and that the record names objects as it does.
        try workspace.transfer().requireObjectIDs(of: snapshot)
        return SnapshotChoice(profile: profile, kind: spec.kind, key: snapshot.id, snapshot: snapshot, properties: snapshot.source.properties)
    }

    /// Checks, before anything is built, that every object the snapshot names (and the media
    /// files of `media`, when they will be restored) is in the store intact; reads the schema.
    func checkObjects(_ choice: SnapshotChoice, media: [MediaEntry]?) throws {
        guard let snapshot = choice.snapshot else { return }
        try SnapshotObjectCheck(transfer: try workspace.transfer()).check(snapshot, media: media)
    }

    /// Loads the snapshot into `database`, which exists and is empty.
    func fill(_ database: String, with choice: SnapshotChoice, label: String) throws {
        guard let snapshot = choice.snapshot else {
            return try CleanProfileFiles(project: workspace.project, server: server).load(profile: choice.profile, into: database)
        }
        try workspace.withScratchDirectory("restore") { scratch in
            try DumpLoader(server: server, transfer: try workspace.transfer(), jobs: jobs).load(snapshot, into: database, scratch: scratch, label: label)
        }
    }

    /// The snapshot's media files, checked for paths that would leave the folder; nil when it has no media.
    func mediaEntries(_ choice: SnapshotChoice) throws -> [MediaEntry]? {
        guard let snapshot = choice.snapshot else { return nil }
        return try Self.mediaEntries(of: snapshot, transfer: try workspace.transfer())
    }

    /// The media index of `snapshot`, read and checked as restore reads it (`pin` checks it the same way).
    static func mediaEntries(of snapshot: Snapshot, transfer: ObjectTransfer) throws -> [MediaEntry]? {
        guard let media = snapshot.media else { return nil }
        let data = try transfer.fetchData(sha256: media.index.sha256, what: "media index")
        let entries = try CanonicalJSON.decode([MediaEntry].self, from: data, what: "The media index of snapshot \(snapshot.id)")
        for entry in entries {
            guard MediaPath.isSafe(entry.path) else {
                throw DPMError.corrupt("The media index of snapshot \(snapshot.id) names the unsafe path \"\(entry.path)\" (absolute, \"..\" or outside the folder); nothing was restored.")
            }
            guard SHA256Hex.isValid(entry.sha256) else {
                throw DPMError.corrupt("The media index of snapshot \(snapshot.id) is malformed: \"\(entry.sha256)\" is not \(snapshot.objectIDs == nil ? "a SHA-256 hash" : "an object id").")
            }
        }
        return entries
    }

    /// Builds the media folder in a staging folder beside `target`; returns the staging folder.
    func stageMedia(_ entries: [MediaEntry], beside target: String) throws -> String {
        try MediaFolder(transfer: try workspace.transfer(), jobs: jobs).stage(entries, beside: target)
    }
}
