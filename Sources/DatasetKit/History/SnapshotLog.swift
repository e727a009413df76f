import Foundation

/// `dpm log`: reads every snapshot record of the store that the profile's figures depend on,
/// in parallel (a remote store answers each read in tens of milliseconds, and the records
/// are kept in the download cache once read), with its tags and the git commits that pinned each.
public struct SnapshotLog {
    let workspace: Workspace
    let git: GitRunner
    /// Reads in flight at once: they wait on the store, not on the CPU.
    var width = 32

    public init(workspace: Workspace, git: GitRunner) {
        self.workspace = workspace
        self.git = git
    }

    public func history(of profile: ProfileName) throws -> ProfileHistory {
        let project = workspace.project
        let spec = try project.profile(profile)
        guard spec.kind != .clean else {
            throw DPMError.invalidInput("The clean profile \(profile) lives in git, not in the store, so its history is git's: git log -- db/migration-base/\(profile).")
        }
        let commits = BackgroundWork { [git, note = workspace.note] in
            ManifestCommits(git: git, project: project).pins(of: profile, note: note)
        }
        let store = workspace.store
        let records = try StoreRecords.list(in: store)
        let ours = records.filter { $0.profile == profile }
        var history = ProfileHistory(profile: profile.value, store: store.displayName, pinned: nil, snapshots: [], unreadable: [])
        do {
            history.pinned = try project.manifest(profile)?.id
        } catch {
            workspace.note("The manifest is not shown as pinned: \(error.userMessage)")
        }
        guard let newest = ours.map(\.id).max() else { _ = try commits.wait(); return history }

        // Only older records change what counts as new for this profile's snapshots.
        let needed = records.filter { $0.profile == profile || $0.id <= newest }
        let catalog = SnapshotCatalog(store: store, project: project, cache: workspace.cache)
        let read = Locked([Snapshot]())
        let unreadable = Locked([String]())
        try concurrentForEach(needed, width: width) { key in
            do {
                if let snapshot = try catalog.record(of: key.profile, id: key.id) { read.withValue { $0.append(snapshot) } }
            } catch let error as DPMError where error.kind == .corrupt {
                // Another profile's unreadable record only leaves its objects uncounted.
                if key.profile == profile { unreadable.withValue { $0.append(error.message) } }
            }
        }
        let snapshots = read.current
        let indexes = try listed(snapshots, profile: profile, unreadable: unreadable)
        let newlyStored = NewlyStored.compute(snapshots.map { NewlyStored.named(by: $0, indexes: indexes) })

        var tagged: [String: [String]] = [:]
        for tag in try SnapshotTags(store: store, profile: profile).all(unreadable: { message in unreadable.withValue { $0.append(message) } }) {
            tagged[tag.snapshot, default: []].append(tag.name)
        }
        let pins = try commits.wait()
        let pinned = history.pinned
        history.snapshots = zip(snapshots, newlyStored).filter { snapshot, _ in snapshot.profile == profile.value }.map { snapshot, new in
            Self.entry(snapshot, newlyStored: new, tags: tagged[snapshot.id] ?? [], pinned: snapshot.id == pinned, commits: pins[snapshot.id] ?? [])
        }.sorted { $0.id > $1.id }
        history.unreadable = unreadable.current.sorted()
        return history
    }

    /// The chunk lists and media indexes of the records, each distinct one read once; one that
    /// cannot be read leaves its objects uncounted (and is said, when it is this profile's).
    private func listed(_ snapshots: [Snapshot], profile: ProfileName, unreadable: Locked<[String]>) throws -> SnapshotIndexes {
        guard snapshots.contains(where: { $0.media != nil || $0.data.contains { $0.chunks != nil } }) else { return SnapshotIndexes() }
        // Prefer naming one of this profile's snapshots when a list or index cannot be read.
        let indexes = SnapshotIndexes.read(snapshots, transfer: try workspace.transfer(), width: width) { candidate, _ in
            candidate.profile == profile.value
        }
        // A store that fails to answer fails the log, as it does for the records.
        if let failure = indexes.failures.first(where: { ![.corrupt, .notFound].contains($0.error.kind) }) { throw failure.error }
        for failure in indexes.failures where failure.snapshot.profile == profile.value {
            let uncounted = failure.what == "media index" ? "its media files are" : "the chunks of \(failure.what.dropFirst("chunk list of ".count)) are"
            unreadable.withValue {
                $0.append("The \(failure.what) of snapshot \(failure.snapshot.id) cannot be read, so \(uncounted) not counted: \(failure.error.message)")
            }
        }
        return indexes
    }

    static func entry(_ snapshot: Snapshot, newlyStored: Int64, tags: [String], pinned: Bool, commits: [ManifestCommit]) -> HistoryEntry {
        let migration = snapshot.migrations.first { !$0.versions.isEmpty }
        let source = snapshot.source.dump.map { HistorySource(kind: "dump", name: $0.file, database: $0.database) }
            ?? HistorySource(kind: "database", name: snapshot.source.database)
        return HistoryEntry(
            id: snapshot.id, createdAt: snapshot.createdAt, message: snapshot.message, tags: tags.sorted(), pinned: pinned,
            size: snapshot.sizes.total, storedSize: snapshot.sizes.stored, newlyStored: newlyStored,
            latestMigration: migration?.versions.last, migrationTable: migration?.table, source: source,
            sanitized: snapshot.sanitize != nil, tables: snapshot.tableCount, rows: snapshot.rowCount,
            mediaFiles: snapshot.media?.files ?? 0, commits: commits)
    }
}
