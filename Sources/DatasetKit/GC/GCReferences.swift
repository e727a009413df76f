import Foundation

/// Every object some snapshot record in the store names: its schema, data files and media
/// index, and every media file its media index names. gc deletes only what is outside this
/// set, so the set must be whole: a record or media index that cannot be read refuses gc
/// (nothing deleted) instead of leaving its objects out.
struct GCReferences {
    var records = 0
    var objects = Set<String>()

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
        var indexes: [String: String] = [:] // media index → a snapshot naming it, for messages
        for snapshot in snapshots.current {
            references.objects.formUnion(snapshot.objectHashes)
            if let index = snapshot.media?.index.sha256 { indexes[index] = "\(snapshot.profile)@\(snapshot.id)" }
        }
        guard !indexes.isEmpty else { return references }
        let transfer = try workspace.transfer()
        let files = Locked(Set<String>())
        try concurrentForEach(Array(indexes.keys), width: width) { [indexes] index in
            do {
                let data = try transfer.fetchData(sha256: index, what: "media index")
                let entries = try CanonicalJSON.decode([MediaEntry].self, from: data, what: "The media index \(index)")
                files.withValue { $0.formUnion(entries.map(\.sha256)) }
            } catch {
                throw DPMError.corrupt("The media index \(index) of snapshot \(indexes[index] ?? "") cannot be read (\(sentence(error.userMessage).dropLast())); \(refusal), dpm verify --all tells more.")
            }
        }
        references.objects.formUnion(files.current)
        return references
    }
}
