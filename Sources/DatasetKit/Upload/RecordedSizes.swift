import Foundation

/// The stored sizes of the objects that a profile's newest snapshot names, as its record
/// (and, for media files, its media index) gives them. Upload reuses an object the store
/// already has only when its stored size still matches; objects no record sizes are read
/// back and verified instead (see `ObjectTransfer.storeFile`).
enum RecordedSizes {
    static func newest(of profile: ProfileName, workspace: Workspace, transfer: ObjectTransfer) throws -> [String: Int64] {
        let catalog = SnapshotCatalog(store: workspace.store, project: workspace.project)
        // A record dpm cannot read gives no sizes: every object is then verified by reading.
        guard let id = try catalog.ids(of: profile).last, let snapshot = try? catalog.record(of: profile, id: id),
              (try? transfer.requireObjectIDs(of: snapshot)) != nil else { return [:] }
        var sizes: [String: Int64] = [:]
        for artifact in [snapshot.schema] + snapshot.data + (snapshot.media.map { [$0.index] } ?? []) {
            sizes[artifact.sha256] = artifact.storedSize
        }
        guard let index = snapshot.media?.index else { return sizes }
        // Without progress: this read is not part of what the upload reports.
        let transfer = ObjectTransfer(store: transfer.store, codec: transfer.codec, cache: transfer.cache, sealing: transfer.sealing)
        if let data = try? transfer.fetchData(sha256: index.sha256, what: "media index"),
           let entries = try? CanonicalJSON.decode([MediaEntry].self, from: data, what: "The media index") {
            for entry in entries { if let size = entry.storedSize { sizes[entry.sha256] = size } }
        }
        return sizes
    }
}
