import Foundation

/// Finds snapshots: the pinned one in a profile's manifest, or any record in the store.
public struct SnapshotCatalog {
    let store: ObjectStore
    let project: Project

    public init(store: ObjectStore, project: Project) {
        self.store = store
        self.project = project
    }

    /// The snapshot `id` from the store, or the profile's pinned snapshot when `id` is nil.
    public func snapshot(of profile: ProfileName, id: String?) throws -> Snapshot {
        guard let id else {
            guard let pinned = try project.manifest(profile) else {
                throw DPMError("The profile \(profile) has no snapshot yet; create one with \"dpm upload \(profile)\".")
            }
            return pinned
        }
        guard SnapshotID.isValid(id) else {
            throw DPMError("\"\(id)\" is not a snapshot id (they look like 20261122T031826Z-1a2b3c).")
        }
        if let pinned = try project.manifest(profile), pinned.id == id { return pinned }
        let key = StoreLayout.snapshotKey(profile: profile.value, id: id)
        let data: Data
        do {
            data = try store.open(key).readAll()
        } catch StoreError.notFound {
            let known = try ids(of: profile)
            let hint = known.isEmpty ? "it has none there" : "latest: \(known.suffix(3).reversed().joined(separator: ", "))"
            throw DPMError("The store \(store.displayName) has no snapshot \(id) of profile \(profile) (\(hint)).")
        }
        let snapshot = try CanonicalJSON.decode(Snapshot.self, from: data, what: "The snapshot record \(key)")
        try snapshot.validate(what: "The snapshot record \(key)")
        return snapshot
    }

    /// Snapshot ids of a profile in the store, oldest first.
    public func ids(of profile: ProfileName) throws -> [String] {
        try store.list(prefix: StoreLayout.snapshotPrefix(profile: profile.value)).compactMap { key in
            let name = FilePath.lastComponent(key)
            guard name.hasSuffix(".json") else { return nil }
            return String(name.dropLast(5))
        }.sorted()
    }
}
