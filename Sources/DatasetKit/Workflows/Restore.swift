import Foundation

public struct RestoreOptions: Sendable {
    public var profile: ProfileName
    public var snapshotID: String?
    /// The database to restore into; the working database when nil.
    public var database: String?
    /// Where media goes; the project's media folder when restoring into the working database.
    public var mediaDirectory: String?
    public var force: Bool
    public var jobs: Int

    public init(profile: ProfileName, snapshotID: String? = nil, database: String? = nil, mediaDirectory: String? = nil,
                force: Bool = false, jobs: Int = ProcessInfo.processInfo.activeProcessorCount) {
        self.profile = profile
        self.snapshotID = snapshotID
        self.database = database
        self.mediaDirectory = mediaDirectory
        self.force = force
        self.jobs = max(1, jobs)
    }
}

public struct RestoreResult: Codable, Sendable {
    public var profile: String
    public var snapshot: String?
    public var database: String
    public var tables: Int
    public var rows: Int64
    public var bytes: Int64
    public var mediaFiles: Int
    public var mediaDirectory: String?
    public var seconds: Double
}

/// Restores a profile's snapshot into a database (and media folder). Everything is built
/// beside the target and swapped in by rename only when complete.
public struct Restore {
    let workspace: Workspace
    let server: DatabaseServer

    public init(workspace: Workspace, server: DatabaseServer) {
        self.workspace = workspace
        self.server = server
    }

    public func run(_ options: RestoreOptions) throws -> RestoreResult {
        let started = workspace.now()
        let project = workspace.project
        let spec = try project.profile(options.profile)
        let target = options.database ?? server.defaultDatabase
        try DatabaseNames.validate(target)
        let intoWorkingDatabase = target == server.defaultDatabase
        let mediaTarget = options.mediaDirectory.map { project.path($0) } ?? (intoWorkingDatabase ? project.mediaDirectory : nil)

        if spec.kind == .clean {
            _ = try project.manifest(options.profile) // the files in git are loaded; their manifest must be dpm's
            try refuseExistingTarget(target, force: options.force)
            let building = DatabaseNames.temporary(beside: target, purpose: "restore")
            var inventory = DatabaseInventory(tables: 0, rows: 0, bytes: 0)
            try buildDatabase(building, for: target) {
                try CleanProfileFiles(project: project, server: server).load(profile: options.profile, into: building)
                inventory = try DatabaseInventory.take(of: building, on: server)
            }
            try workspace.checkpoint("restore.before-swap")
            try DatabaseSwap(server: server, note: workspace.note).replace(target, with: building)
            return RestoreResult(profile: options.profile.value, snapshot: nil, database: target, tables: inventory.tables,
                                 rows: inventory.rows, bytes: inventory.bytes, mediaFiles: 0, mediaDirectory: nil,
                                 seconds: workspace.now().timeIntervalSince(started))
        }

        let loader = SnapshotLoader(workspace: workspace, server: server, jobs: options.jobs)
        let choice = try loader.choose(options.profile, id: options.snapshotID)
        guard let snapshot = choice.snapshot else { throw DPMError("The profile \(options.profile) has no snapshot in the store.") }
        let mediaEntries = try loader.mediaEntries(choice)
        try refuseExistingTarget(target, force: options.force)
        if let mediaTarget, mediaEntries != nil, !options.force, FolderState.isNonEmpty(mediaTarget) {
            throw DPMError("The media folder \(mediaTarget) is not empty; add --force to replace it (the new media is swapped in only when complete).")
        }

        try loader.checkObjects(choice, media: mediaTarget == nil ? nil : mediaEntries)
        let building = DatabaseNames.temporary(beside: target, purpose: "restore")
        let properties = snapshot.source.properties
        var staging: String?
        do {
            try buildDatabase(building, like: properties, for: target) {
                try loader.fill(building, with: choice, label: target)
                try DatabaseProperties.apply(properties, to: building, on: server, note: workspace.note)
            }
            if let mediaTarget, let mediaEntries {
                staging = try loader.stageMedia(mediaEntries, beside: mediaTarget)
            }
            try workspace.checkpoint("restore.before-swap")
            try DatabaseSwap(server: server, note: workspace.note).replace(target, with: building)
        } catch {
            if let staging { try? FileManager.default.removeItem(atPath: staging) }
            try? dropIfPresent(building)
            throw error
        }
        if let mediaTarget, let staging { try MediaFolder.swap(staging, into: mediaTarget) }
        workspace.progress.end()

        return RestoreResult(
            profile: options.profile.value, snapshot: snapshot.id, database: target, tables: snapshot.tableCount,
            rows: snapshot.rowCount, bytes: snapshot.sizes.total, mediaFiles: staging == nil ? 0 : mediaEntries?.count ?? 0,
            mediaDirectory: staging == nil ? nil : mediaTarget, seconds: workspace.now().timeIntervalSince(started)
        )
    }

    private func refuseExistingTarget(_ target: String, force: Bool) throws {
        if !force, try server.databaseExists(target) {
            throw DPMError("The database \(target) already exists; add --force to replace it (it is dropped only after the new copy is complete).")
        }
    }

    /// Creates `name` (like the source's `properties`) and runs `fill`; the database is
    /// dropped again if filling fails.
    private func buildDatabase(_ name: String, like properties: DatabaseProperties? = nil, for target: String,
                               fill: () throws -> Void) throws {
        if let fallback = try server.createDatabase(name, like: properties) { workspace.note(fallback.note(for: target)) }
        do {
            try fill()
        } catch {
            try? dropIfPresent(name)
            throw error
        }
    }

    private func dropIfPresent(_ name: String) throws {
        if try server.databaseExists(name) { try server.dropDatabase(name) }
    }
}

enum FolderState {
    static func isNonEmpty(_ path: String) -> Bool {
        guard let entries = try? FileManager.default.contentsOfDirectory(atPath: path) else { return false }
        return !entries.isEmpty
    }
}
