import Foundation

/// Every object some snapshot record in the store names: its schema, data files (or their
/// chunk lists) and media index, every chunk a chunk list names and every media file its
/// media index names. gc deletes only what is outside this
/// set, so the set must be whole: a record or media index that cannot be read refuses gc
/// (nothing deleted) instead of leaving its objects out.
/// A chunk list or media index is read through the download cache where there is one: its
/// copy there was verified against its id, so it is the object's content.
struct GCReferences {
    var records = 0
    var objects = Set<String>()
    /// The objects among them that travel in packs: no key of their own, but marks of their own.
    var packed = Set<String>()

    static func read(from workspace: Workspace, width: Int) throws -> GCReferences {
        let store = workspace.store
        let refusal = "gc deleted nothing, since the objects it names would look unreferenced"
        var keys: [StoreRecords.Key] = []
        for key in try store.list(prefix: "snapshots/") {
            guard let parsed = StoreRecords.parse(key) else {
                throw DPMError.corrupt("The store \(store.displayName) holds \(key), which is not a snapshot record dpm wrote; \(refusal): move it out of snapshots/.")
            }
            keys.append(parsed)
        }
        // The store's own records, never cached copies: a record deleted meanwhile (dpm prune) is left out.
        let catalog = SnapshotCatalog(store: store, project: workspace.project)
        let snapshots = Locked([Snapshot]())
        try concurrentForEach(keys, width: width) { key in
            do {
                if let snapshot = try catalog.record(of: key.profile, id: key.id) { snapshots.withValue { $0.append(snapshot) } }
            } catch {
                throw DPMError.corrupt("\(sentence(error.userMessage).dropLast()); \(refusal).")
            }
        }
        var references = GCReferences()
        references.records = snapshots.current.count
        // Only lists and indexes need the store's objects opened (an encrypted store's identity).
        let listing = snapshots.current.contains { $0.media != nil || $0.data.contains { $0.chunks != nil } }
        let indexes = listing ? SnapshotIndexes.read(snapshots.current, transfer: try workspace.transfer(), width: width) : SnapshotIndexes()
        if let failure = indexes.failures.first {
            throw DPMError.corrupt("The \(failure.what) \(failure.id) of snapshot \(failure.snapshot.profile)@\(failure.snapshot.id) cannot be read (\(sentence(failure.error.userMessage).dropLast())); \(refusal), dpm verify --all tells more.")
        }
        for snapshot in snapshots.current {
            references.objects.formUnion(indexes.objects(of: snapshot).map(\.id))
            references.packed.formUnion(indexes.places(of: snapshot).keys)
        }
        return references
    }
}
