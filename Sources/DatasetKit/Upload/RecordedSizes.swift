import Foundation

/// What the store's records say of the objects an upload may reuse.
///
/// Sizes: the stored sizes of the objects that a profile's newest snapshot names, as its
/// record, its chunk lists and its media index give them. Upload reuses an object the store
/// already has only when its stored size still matches; objects no record sizes are read back
/// and verified instead (see `ObjectTransfer.storeIfAbsent`), so the chunks of a refreshed
/// table are reused by one size check each.
///
/// Both come from the newest records (all those of the newest second: ids sort by second).
///
/// Places: where the newest snapshot of every profile of the store places objects in packs
/// (the profile's own first), so that an unchanged small table, or the same content under
/// another profile, is named where it already is after one size check of its pack
/// (`PackWriter`) instead of being packed again. One listing of `snapshots/` and one record
/// per profile.
///
/// Patch sources: the chunk lists of the profile's newest record, by table, which changed
/// chunks of the same tables are patched against (`PatchSources`).
enum RecordedSizes {
    static func newest(of profile: ProfileName, workspace: Workspace, transfer: ObjectTransfer) throws
        -> (sizes: [String: Int64], places: [String: PackWriter.Recorded], patchSources: PatchSources) {
        let catalog = SnapshotCatalog(store: workspace.store, project: workspace.project)
        // Ids sort by their second only: records of the newest second (two uploads in one second)
        // are all the newest, or the one picked might be the older of the two.
        let keys = try StoreRecords.list(in: workspace.store)
        var newestSecond: [ProfileName: Substring] = [:]
        for key in keys {
            let second = Self.second(of: key.id)
            if newestSecond[key.profile].map({ second > $0 }) ?? true { newestSecond[key.profile] = second }
        }
        let newest = keys.filter { Self.second(of: $0.id) == newestSecond[$0.profile] }.sorted { ($0.profile.value, $0.id) < ($1.profile.value, $1.id) }
        // A record dpm cannot read gives nothing: its objects are then verified by reading, or packed again.
        let records = Locked([Snapshot]())
        try concurrentForEach(newest, width: 8) { key in
            guard let snapshot = try? catalog.record(of: key.profile, id: key.id), (try? transfer.requireObjectIDs(of: snapshot)) != nil else { return }
            records.withValue { $0.append(snapshot) }
        }
        let own = records.current.filter { $0.profile == profile.value }
        let others = records.current.filter { $0.profile != profile.value }
        // Without progress: these reads are not part of what the upload reports. A list or
        // index that cannot be read only leaves its objects to be verified by reading.
        let quiet = ObjectTransfer(store: transfer.store, codec: transfer.codec, cache: transfer.cache, sealing: transfer.sealing)
        let indexes = SnapshotIndexes.read(records.current, transfer: quiet, width: 8)
        var sizes: [String: Int64] = [:]
        var places: [String: PackWriter.Recorded] = [:]
        var lists: [String: [Chunk]] = [:]
        for snapshot in others { places.merge(indexes.places(of: snapshot)) { kept, _ in kept } }
        for snapshot in own {
            for object in indexes.objects(of: snapshot) {
                if let size = object.storedSize { sizes[object.id] = size }
            }
            places.merge(indexes.places(of: snapshot)) { _, ownPlace in ownPlace }
            for artifact in snapshot.data {
                if let table = artifact.table, let chunks = indexes.chunks(of: artifact) { lists[table] = chunks }
            }
        }
        return (sizes, places, PatchSources(lists: lists))
    }

    /// The creation second of a snapshot id (`20261122T031826Z-1a2b3c` → `20261122T031826Z`).
    private static func second(of id: String) -> Substring { id.prefix { $0 != "-" } }
}
