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
        let media = try mediaIndexes(of: snapshots, profile: profile, unreadable: unreadable)
        let newlyStored = NewlyStored.compute(snapshots.map { NewlyStored.named(by: $0, media: $0.media.flatMap { media[$0.index.sha256] }) })

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

    /// Media index object → its entries, each distinct index read once; one that cannot be
    /// read leaves its files uncounted (and is said, when it is this profile's).
    private func mediaIndexes(of snapshots: [Snapshot], profile: ProfileName, unreadable: Locked<[String]>) throws -> [String: [MediaEntry]] {
        var owners: [String: Snapshot] = [:]
        for snapshot in snapshots {
            guard let index = snapshot.media?.index.sha256 else { continue }
            // Prefer naming one of this profile's snapshots when the index cannot be read.
            if owners[index] == nil || snapshot.profile == profile.value { owners[index] = snapshot }
        }
        let transfer = try workspace.transfer()
        let indexes = Locked([String: [MediaEntry]]())
        try concurrentForEach(Array(owners), width: width) { index, snapshot in
            do {
                let data = try transfer.fetchData(sha256: index, what: "media index")
                let entries = try CanonicalJSON.decode([MediaEntry].self, from: data, what: "The media index of snapshot \(snapshot.id)")
                indexes.withValue { $0[index] = entries }
            } catch let error as DPMError where [.corrupt, .notFound].contains(error.kind) {
                if snapshot.profile == profile.value {
                    unreadable.withValue { $0.append("The media index of snapshot \(snapshot.id) cannot be read, so its media files are not counted: \(error.message)") }
                }
            }
        }
        return indexes.current
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
