import Foundation

/// What `dpm prune` is asked: the profiles (none: every profile of the project with records
/// in the store), the flags' rules, and whether to remove anything.
public struct PruneRequest: Sendable {
    public var profiles: [String]
    public var flags: RetentionPolicy
    public var dryRun: Bool

    public init(profiles: [String], flags: RetentionPolicy, dryRun: Bool) {
        self.profiles = profiles
        self.flags = flags
        self.dryRun = dryRun
    }
}

/// `dpm prune`: removes the snapshot records (`snapshots/<profile>/<id>.json`) no rule keeps,
/// and the tags that name them. Objects are left for `dpm gc`. Safe beside a concurrent
/// upload: only records listed at the start can be removed (a new one is never seen), and
/// the pins are read again just before the first removal.
public struct SnapshotPrune {
    let workspace: Workspace
    let git: GitRunner
    /// Reads in flight at once: they wait on the store, not on the CPU.
    var width = 32

    public init(workspace: Workspace, git: GitRunner) {
        self.workspace = workspace
        self.git = git
    }

    public func run(_ request: PruneRequest) throws -> PruneReport {
        let project = workspace.project
        let store = workspace.store
        let policy = project.config.retention.overridden(by: request.flags)
        guard !policy.isEmpty else {
            throw DPMError.invalidInput("dpm prune removes nothing without a rule of what to keep: give --keep-last N, --keep-within DURATION or --keep-tagged (or set retention: in dpm.yaml).")
        }
        let named = try chosenProfiles(request.profiles)
        let records = try StoreRecords.list(in: store)
        var notes: [String] = []
        let profiles: [ProfileName]
        if let named {
            profiles = named
        } else {
            let known = Set(project.profileNames())
            let inStore = Set(records.map(\.profile))
            let storeOnly = inStore.filter { !known.contains($0.value) }.map(\.value)
            profiles = try inStore.filter { known.contains($0.value) }.filter { try project.profile($0).kind != .clean }.sorted()
            if !storeOnly.isEmpty {
                notes.append("The store also holds snapshots of \(storeOnly.sorted().joined(separator: ", ")), which this checkout has no profile of; they were left alone.")
            }
        }
        let chosen = Set(profiles)
        var pins = try GitPins(git: git, project: project).pins(of: profiles)
        if !pins.repository {
            notes.append("The project is not a git repository, so only the working tree's manifests protect snapshots.")
        }

        let read = try readRecords(records)
        notes += read.unreadable.filter { chosen.contains($0.profile) }.map { "Kept, since it cannot be read: \($0.message)" }
        var tags: [ProfileName: [TagRecord]] = [:]
        for profile in profiles {
            // A tag that cannot be read names no snapshot prune can tell; it is left as it is, and said.
            let skipped = Locked([String]())
            tags[profile] = try SnapshotTags(store: store, profile: profile).all { message in skipped.withValue { $0.append(message) } }
            notes += skipped.current.sorted().map { "Skipped (left as it is): \($0)" }
        }
        let indexes = listed(read.snapshots)
        if let problem = indexes.problem { notes.append("Media files and chunks are not counted in the sizes: \(problem)") }

        let now = workspace.now()
        func plans(with pins: GitPins.Pins) -> [ProfileName: PrunePlan] {
            var plans: [ProfileName: PrunePlan] = [:]
            for profile in profiles {
                var tagged: [String: [String]] = [:]
                for tag in tags[profile] ?? [] { tagged[tag.snapshot, default: []].append(tag.name) }
                let candidates = records.filter { $0.profile == profile }.compactMap { key -> PrunePlan.Candidate? in
                    if let snapshot = read.byKey[key] {
                        return PrunePlan.Candidate(id: key.id, createdAt: Timestamp.parse(snapshot.createdAt), tags: tagged[key.id] ?? [])
                    }
                    // Listed but gone when read: removed meanwhile, nothing to decide.
                    return read.unreadable.contains { $0.key == key } ? PrunePlan.Candidate(id: key.id, createdAt: nil, tags: tagged[key.id] ?? []) : nil
                }
                plans[profile] = PrunePlan(candidates, policy: policy, pins: pins.places, now: now)
            }
            return plans
        }
        var decided = plans(with: pins)
        var removedTags: [ProfileName: [String]] = [:]
        if !request.dryRun, decided.values.contains(where: { !$0.removed.isEmpty }) {
            // A pin made while the records were read (a concurrent `dpm pin`, a fetch) still counts.
            try workspace.checkpoint("prune.before-removals")
            pins = try GitPins(git: git, project: project).pins(of: profiles)
            decided = plans(with: pins)
            removedTags = try remove(decided, tags: tags)
        } else {
            for profile in profiles {
                let removed = Set(decided[profile]?.removed ?? [])
                removedTags[profile] = (tags[profile] ?? []).filter { removed.contains($0.snapshot) }.map(\.name)
            }
        }
        return report(decided, profiles: profiles, read: read, indexes: indexes, tags: tags, removedTags: removedTags,
                      policy: policy, pins: pins, dryRun: request.dryRun, notes: notes)
    }

    /// The profiles named, each refused in one sentence when unknown or clean; nil for "every one".
    private func chosenProfiles(_ names: [String]) throws -> [ProfileName]? {
        guard !names.isEmpty else { return nil }
        var profiles: [ProfileName] = []
        for text in names {
            let profile = try ProfileName(text)
            guard try workspace.project.profile(profile).kind != .clean else {
                throw DPMError.invalidInput("The clean profile \(profile) lives in git, not in the store, so it has no snapshot records to prune; its history is git's.")
            }
            if !profiles.contains(profile) { profiles.append(profile) }
        }
        return profiles.sorted()
    }

    struct Unreadable: Sendable {
        let key: StoreRecords.Key
        let message: String
        var profile: ProfileName { key.profile }
    }

    struct ReadRecords: Sendable {
        var byKey: [StoreRecords.Key: Snapshot] = [:]
        var unreadable: [Unreadable] = []
        var snapshots: [Snapshot] { Array(byKey.values) }
    }

    /// Every record of the store (every profile's: what a record newly stored, and what only
    /// removed records name, depend on all of them), in parallel.
    private func readRecords(_ records: [StoreRecords.Key]) throws -> ReadRecords {
        let catalog = SnapshotCatalog(store: workspace.store, project: workspace.project, cache: workspace.cache)
        let result = Locked(ReadRecords())
        try concurrentForEach(records, width: width) { key in
            do {
                if let snapshot = try catalog.record(of: key.profile, id: key.id) { result.withValue { $0.byKey[key] = snapshot } }
            } catch let error as DPMError where error.kind == .corrupt {
                result.withValue { $0.unreadable.append(Unreadable(key: key, message: error.message)) }
            }
        }
        return result.current
    }

    /// The chunk lists and media indexes of the records, each read once; one that cannot be
    /// read (or a store whose objects this identity cannot open) leaves its objects uncounted.
    private func listed(_ snapshots: [Snapshot]) -> (indexes: SnapshotIndexes, problem: String?) {
        guard snapshots.contains(where: { $0.media != nil || $0.data.contains { $0.chunks != nil } }) else { return (SnapshotIndexes(), nil) }
        let transfer: ObjectTransfer
        do {
            transfer = try workspace.transfer()
        } catch {
            return (SnapshotIndexes(), error.userMessage)
        }
        let indexes = SnapshotIndexes.read(snapshots, transfer: transfer, width: width)
        return (indexes, indexes.failures.first?.error.message)
    }

    /// Removes each decided record, one at a time, each after its tags, so that an interruption
    /// leaves every record either there (perhaps without its tag, removed again by the next
    /// prune) or gone with its tags: never a tag naming a snapshot the store does not have.
    private func remove(_ plans: [ProfileName: PrunePlan], tags: [ProfileName: [TagRecord]]) throws -> [ProfileName: [String]] {
        let store = workspace.store
        var removedTags: [ProfileName: [String]] = [:]
        let total = plans.values.reduce(0) { $0 + $1.removed.count }
        var done = 0
        for (profile, plan) in plans.sorted(by: { $0.key < $1.key }) {
            let removed = Set(plan.removed)
            guard !removed.isEmpty else { continue }
            let profileTags = SnapshotTags(store: store, profile: profile)
            for id in plan.removed.sorted() {
                do {
                    for tag in (tags[profile] ?? []) where tag.snapshot == id {
                        if try removeTag(tag.name, naming: removed, of: profileTags, profile: profile) { removedTags[profile, default: []].append(tag.name) }
                    }
                    try workspace.checkpoint("prune.before-record")
                    let key = StoreLayout.snapshotKey(profile: profile.value, id: id)
                    try store.delete(key)
                    workspace.cache?.forgetDocument(key, of: store)
                    done += 1
                } catch let error as DPMError {
                    throw error.rephrased("Removing snapshot \(id) of \(profile) from \(store.displayName) failed (\(String(error.message.dropLast()))); \(done) of \(total) records were removed before it, each with its tags, and running prune again finishes the rest.")
                }
            }
            // A tag made for a removed snapshot while prune ran (`dpm tag`) goes too.
            for tag in try profileTags.all() where removed.contains(tag.snapshot) && !(removedTags[profile] ?? []).contains(tag.name) {
                if try removeTag(tag.name, naming: removed, of: profileTags, profile: profile) { removedTags[profile, default: []].append(tag.name) }
            }
        }
        return removedTags
    }

    /// Deletes the tag if it still names one of `removed` (it may have been moved meanwhile).
    private func removeTag(_ name: String, naming removed: Set<String>, of tags: SnapshotTags, profile: ProfileName) throws -> Bool {
        guard let current = try tags.tag(try TagName(name)), removed.contains(current.snapshot) else { return false }
        try workspace.store.delete(StoreLayout.tagKey(profile: profile.value, name: name))
        return true
    }

    private func report(_ plans: [ProfileName: PrunePlan], profiles: [ProfileName], read: ReadRecords, indexes: (indexes: SnapshotIndexes, problem: String?),
                        tags: [ProfileName: [TagRecord]], removedTags: [ProfileName: [String]], policy: RetentionPolicy,
                        pins: GitPins.Pins, dryRun: Bool, notes: [String]) -> PruneReport {
        let snapshots = read.byKey.sorted { ($0.key.id, $0.key.profile) < ($1.key.id, $1.key.profile) }
        let named = snapshots.map { NewlyStored.named(by: $0.value, indexes: indexes.indexes) }
        let newly = NewlyStored.compute(named)
        var newlyStored: [StoreRecords.Key: Int64] = [:]
        for (index, (key, _)) in snapshots.enumerated() { newlyStored[key] = newly[index] }

        var removedKeys = Set<StoreRecords.Key>()
        for (profile, plan) in plans { for id in plan.removed { removedKeys.insert(StoreRecords.Key(profile: profile, id: id)) } }
        var remaining: [String: Int64] = [:], gone: [String: Int64] = [:]
        for ((key, _), objects) in zip(snapshots, named) {
            for (object, size) in objects.objects {
                if removedKeys.contains(key) { gone[object] = size } else { remaining[object] = size }
            }
        }
        let reclaimable = gone.filter { remaining[$0.key] == nil }.values.reduce(0, +)

        var tagNames: [StoreRecords.Key: [String]] = [:]
        for (profile, records) in tags { for tag in records { tagNames[StoreRecords.Key(profile: profile, id: tag.snapshot), default: []].append(tag.name) } }
        let pruned = profiles.map { profile in
            PrunedProfile(profile: profile.value, snapshots: (plans[profile]?.decisions ?? []).map { decision in
                let key = StoreRecords.Key(profile: profile, id: decision.id)
                return PruneEntry(id: decision.id, createdAt: read.byKey[key]?.createdAt ?? "", tags: (tagNames[key] ?? []).sorted(),
                                  kept: decision.kept, reasons: decision.reasons, newlyStored: newlyStored[key] ?? 0)
            }, removedTags: (removedTags[profile] ?? []).sorted())
        }
        let removedEntries = pruned.flatMap(\.snapshots).filter { !$0.kept }
        return PruneReport(store: workspace.store.displayName, dryRun: dryRun, policy: policy, gitRepository: pins.repository, refs: pins.refs,
                           profiles: pruned, keptSnapshots: pruned.reduce(0) { $0 + $1.kept }, removedSnapshots: removedEntries.count,
                           removedTags: pruned.reduce(0) { $0 + $1.removedTags.count },
                           removedNewlyStored: removedEntries.reduce(0) { $0 + $1.newlyStored }, reclaimable: reclaimable,
                           mediaCounted: indexes.problem == nil, notes: notes)
    }
}
