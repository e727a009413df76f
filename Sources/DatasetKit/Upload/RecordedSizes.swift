import Foundation

/// The stored sizes of the objects that a profile's newest snapshot names, as its record, its
/// chunk lists and its media index give them. Upload reuses an object the store already has
/// only when its stored size still matches; objects no record sizes are read back and
/// verified instead (see `ObjectTransfer.storeIfAbsent`), so the chunks of a refreshed table
/// are reused by one size check each.
enum RecordedSizes {
    static func newest(of profile: ProfileName, workspace: Workspace, transfer: ObjectTransfer) throws -> [String: Int64] {
        let catalog = SnapshotCatalog(store: workspace.store, project: workspace.project)
        // A record dpm cannot read gives no sizes: every object is then verified by reading.
        guard let id = try catalog.ids(of: profile).last, let snapshot = try? catalog.record(of: profile, id: id),
              (try? transfer.requireObjectIDs(of: snapshot)) != nil else { return [:] }
        // Without progress: these reads are not part of what the upload reports. A list or
        // index that cannot be read only leaves its objects to be verified by reading.
        let quiet = ObjectTransfer(store: transfer.store, codec: transfer.codec, cache: transfer.cache, sealing: transfer.sealing)
        let indexes = SnapshotIndexes.read([snapshot], transfer: quiet, width: 8)
        var sizes: [String: Int64] = [:]
        for object in indexes.objects(of: snapshot) {
            if let size = object.storedSize { sizes[object.id] = size }
        }
        return sizes
    }
}
