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
    /// The target, the database being built and the retired one are renamed, labelled and dropped here.
    let server: DatabaseCatalog
    /// Counts what a clean profile loaded and the migrations it applied.
    let query: DatabaseQuery
    let loader: @Sendable (Int) -> any SnapshotLoading

    public init(workspace: Workspace, server: DatabaseServer) {
        self.init(workspace: workspace, catalog: server, query: server, loader: SnapshotLoader.maker(workspace: workspace, server: server))
    }

    init(workspace: Workspace, catalog: DatabaseCatalog, query: DatabaseQuery, loader: @escaping @Sendable (Int) -> any SnapshotLoading) {
        self.workspace = workspace
        server = catalog
        self.query = query
        self.loader = loader
    }

    public func run(_ options: RestoreOptions) throws -> RestoreResult {
        let started = workspace.now()
        let project = workspace.project
        _ = try project.profile(options.profile)
        let target = options.database ?? server.defaultDatabase
        try DatabaseNames.validate(target)
        try DatabaseNames.validate(server.defaultDatabase)
        let intoWorkingDatabase = target == server.defaultDatabase
        let mediaTarget = options.mediaDirectory.map { project.path($0) } ?? (intoWorkingDatabase ? project.mediaDirectory : nil)

        // Restores rename and drop databases of this project: one at a time, and never beside a `use`.
        let names = LocalNames(working: server.defaultDatabase, stateDirectory: project.stateDirectory)
        let lock = try ProjectLock.localDatabases(names, note: workspace.note)
        defer { withExtendedLifetime(lock) {} }
        try InterruptedRestores(server: server, stateDirectory: names.stateDirectory, note: workspace.note).repair()

        let loader = loader(options.jobs)
        let choice = try loader.choose(options.profile, id: options.snapshotID)
        if choice.kind != .clean, choice.snapshot == nil { throw DPMError.notFound("The profile \(options.profile) has no snapshot in the store.") }
        let mediaEntries = try loader.mediaEntries(choice)
        let plan = Plan(target: target, intoWorkingDatabase: intoWorkingDatabase, names: names, choice: choice,
                        mediaTarget: mediaTarget, mediaEntries: mediaEntries, since: Timestamp.precise(workspace.now()))
        try refuseWhatCannotBeReplaced(plan, options)
        try loader.checkObjects(choice, media: mediaTarget == nil ? nil : mediaEntries)

        let swap = RestoreSwap(server: server, names: names, note: workspace.note, checkpoint: workspace.checkpoint)
        let built = try buildAndSwapIn(plan, loader: loader, swap: swap)
        try workspace.checkpoint("restore.after-swap")
        try swapMediaIn(plan, built, swap: swap)
        try workspace.checkpoint("restore.before-drop")
        swap.dropRetired(built.journal)
        RestoreJournal.remove(names.stateDirectory)
        if intoWorkingDatabase {
            try LocalState.update(names) { state in
                state.active = LocalState.Active(profile: choice.profile.value, snapshot: choice.key, since: plan.since)
            }
        }
        workspace.progress.end()

        let snapshot = choice.snapshot
        let restoredMedia = built.journal.staging != nil
        return RestoreResult(
            profile: options.profile.value, snapshot: snapshot?.id, database: target, tables: snapshot?.tableCount ?? built.inventory.tables,
            rows: snapshot?.rowCount ?? built.inventory.rows, bytes: snapshot?.sizes.total ?? built.inventory.bytes,
            mediaFiles: restoredMedia ? mediaEntries?.count ?? 0 : 0,
            mediaDirectory: restoredMedia ? mediaTarget : nil, seconds: workspace.now().timeIntervalSince(started)
        )
    }

    /// What one restore puts where.
    private struct Plan {
        var target: String
        var intoWorkingDatabase: Bool
        var names: LocalNames
        var choice: SnapshotChoice
        var mediaTarget: String?
        var mediaEntries: [MediaEntry]?
        var since: String
    }

    /// What the database half left for the media half: the journal (with the staged media
    /// and the retired database's name), what a clean profile loaded, the target's old label.
    private struct Built {
        var journal: RestoreJournal
        var inventory: DatabaseInventory
        var previousComment: String?
    }

    /// Before any database work: a destination dpm cannot swap must never cost the database,
    /// and what exists is replaced only with --force.
    private func refuseWhatCannotBeReplaced(_ plan: Plan, _ options: RestoreOptions) throws {
        if let mediaTarget = plan.mediaTarget, plan.mediaEntries != nil || options.mediaDirectory != nil { try MediaDestination.check(mediaTarget) }
        try refuseExistingTarget(plan.target, force: options.force)
        if let mediaTarget = plan.mediaTarget, plan.mediaEntries != nil, !options.force, FolderState.isNonEmpty(mediaTarget) {
            throw DPMError.conflict("The media folder \(mediaTarget) is not empty; add --force to replace it (the new media is swapped in only when complete).")
        }
    }

    /// Builds the snapshot in a labelled database beside the target, stages its media, and
    /// swaps the database in (one transaction, journalled first); on failure nothing it made is left.
    private func buildAndSwapIn(_ plan: Plan, loader: any SnapshotLoading, swap: RestoreSwap) throws -> Built {
        let (target, names, choice) = (plan.target, plan.names, plan.choice)
        let building = DatabaseNames.temporary(beside: target, purpose: "restore")
        let buildingLabel = DatabaseLabel(role: .restoring, working: names.working, profile: choice.profile.value, snapshot: choice.key,
                                          kind: choice.kind, since: plan.since, target: target)
        var built = Built(journal: RestoreJournal(target: target, building: building, retired: nil, staging: nil,
                                                  mediaTarget: plan.mediaEntries == nil ? nil : plan.mediaTarget, swapping: false, pid: getpid()),
                          inventory: DatabaseInventory(tables: 0, rows: 0, bytes: 0), previousComment: nil)
        // Written before anything is made, so that the next command can remove what a kill leaves.
        try built.journal.write(names.stateDirectory)
        var finalLabel: String?
        do {
            try buildDatabase(building, like: choice.properties, for: target, label: buildingLabel) {
                try loader.fill(building, with: choice, label: target)
                try DatabaseProperties.applySettings(choice.properties, to: building, on: server, note: workspace.note)
                if choice.kind == .clean { built.inventory = try DatabaseInventory.take(of: building, on: query) }
                if plan.intoWorkingDatabase {
                    let applied = try MigrationDetector.appliedCount(in: building, on: query)
                    finalLabel = DatabaseLabel(role: .working, working: names.working, profile: choice.profile.value, snapshot: choice.key,
                                               kind: choice.kind, since: plan.since, migrations: applied).commentText
                } else {
                    // A database dpm does not label gets the source's own comment.
                    finalLabel = choice.properties?.comment
                }
            }
            if let mediaTarget = plan.mediaTarget, let mediaEntries = plan.mediaEntries {
                built.journal.staging = try loader.stageMedia(mediaEntries, beside: mediaTarget)
            }
            try workspace.checkpoint("restore.before-swap")
            if let previous = try server.catalog(named: target, orMatching: "^$").first(where: { $0.name == target }) {
                built.previousComment = previous.comment
                built.journal.retired = DatabaseNames.temporary(beside: target, purpose: "old")
            }
            built.journal.swapping = true
            try built.journal.write(names.stateDirectory)
            let held = DatabaseLabel.parse(built.previousComment)
            let retiredLabel = DatabaseLabel(role: .retired, working: names.working, profile: held?.profile, snapshot: held?.snapshot,
                                             kind: held?.kind, since: plan.since, target: target)
            try swap.commit(built.journal, label: finalLabel, retiredLabel: retiredLabel.commentText)
        } catch {
            if let staging = built.journal.staging { FolderMoves.remove(staging) }
            try? dropIfPresent(building)
            RestoreJournal.remove(names.stateDirectory)
            throw error
        }
        return built
    }

    /// Swaps the staged media folder in after the database; if that fails, the database swap
    /// is rolled back, so the target keeps its old content.
    private func swapMediaIn(_ plan: Plan, _ built: Built, swap: RestoreSwap) throws {
        guard let mediaTarget = plan.mediaTarget, let staging = built.journal.staging else { return }
        do {
            try MediaFolder.swap(staging, into: mediaTarget)
        } catch {
            FolderMoves.remove(staging)
            do {
                try swap.rollBack(built.journal, previousComment: built.previousComment)
            } catch let rollback {
                RestoreJournal.remove(plan.names.stateDirectory)
                throw DPMError.system("The media folder \(mediaTarget) could not be replaced (\(error.userMessage)), and \(plan.target) could not be given back its previous content either (\(rollback.userMessage)); that content is in \(built.journal.retired ?? "no database"), see dpm status.")
            }
            RestoreJournal.remove(plan.names.stateDirectory)
            throw DPMError.system("The media folder \(mediaTarget) could not be replaced (\(error.userMessage)); \(plan.target) was given back its previous content, so nothing changed.")
        }
    }

    private func refuseExistingTarget(_ target: String, force: Bool) throws {
        if !force, try server.databaseExists(target) {
            throw DPMError.conflict("The database \(target) already exists; add --force to replace it (it is dropped only after the new copy is complete).")
        }
    }

    /// Creates `name` like the source (`properties`), labels it as a restore in progress, and
    /// runs `fill`; the database is dropped again if filling fails.
    private func buildDatabase(_ name: String, like properties: DatabaseProperties?, for target: String, label: DatabaseLabel,
                               fill: () throws -> Void) throws {
        if let fallback = try server.createDatabase(name, like: properties) { workspace.note(fallback.note(for: target)) }
        do {
            try server.applyAtomically([.comment(on: name, label.commentText)], afterEach: { _ in })
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
