import Foundation

/// Finds snapshots: the pinned one in a profile's manifest, or any record in the store.
public struct SnapshotCatalog: Sendable {
    let store: ObjectStore
    let project: Project
    /// Records once read from a remote store are kept beside the download cache: they are
    /// create-only, so a copy stays true, and a cached snapshot restores without the store.
    let cache: ObjectCache?

    public init(store: ObjectStore, project: Project, cache: ObjectCache? = nil) {
        self.store = store
        self.project = project
        self.cache = cache
    }

    /// The snapshot `id` (or tag, or id prefix: see `SnapshotReference`) from the store, or
    /// the profile's pinned snapshot when `id` is nil.
    /// Either way the result is the store's record: a pinned manifest must match it exactly,
    /// so that a manifest changed by hand (or by a merge) never restores something else.
    public func snapshot(of profile: ProfileName, id: String?) throws -> Snapshot {
        guard let id else {
            guard let pinned = try project.manifest(profile) else {
                throw DPMError.notFound("The profile \(profile) has no snapshot yet; create one with \"dpm upload \(profile)\".")
            }
            let manifest = "The manifest profiles/\(profile)/manifest.json"
            guard let stored = try record(of: profile, id: pinned.id) else {
                throw DPMError.notFound("\(manifest) pins snapshot \(pinned.id), which the store \(store.displayName) does not have (\(try latestHint(profile))); check the manifest out from git as dpm wrote it, or check that dpm.yaml names the right store.")
            }
            guard stored == pinned else {
                throw DPMError.corrupt("\(manifest) does not match the store's record of snapshot \(pinned.id) (changed by hand or by a merge?); check it out from git as dpm wrote it, or add --snapshot \(pinned.id) to use the store's record.")
            }
            return stored
        }
        // A tag, or the unique beginning of an id, names a snapshot as well as its id does.
        guard SnapshotID.isValid(id) else { return try SnapshotResolver(catalog: self, profile: profile).resolve(id).snapshot }
        guard let stored = try record(of: profile, id: id) else {
            throw DPMError.notFound("The store \(store.displayName) has no snapshot \(id) of profile \(profile) (\(try latestHint(profile))).")
        }
        return stored
    }

    /// The store's record of snapshot `id`, checked to be one dpm wrote for this profile; nil when absent.
    public func record(of profile: ProfileName, id: String) throws -> Snapshot? {
        let key = StoreLayout.snapshotKey(profile: profile.value, id: id)
        let cached = cache.map { $0.documentPath(key, of: store) }
        let data: Data
        if let cached, let copy = FileManager.default.contents(atPath: cached) {
            data = copy
        } else {
            do {
                data = try store.open(key).readAll()
            } catch let error as DPMError where error.kind == .notFound {
                return nil
            }
        }
        let what = "The snapshot record \(key)"
        let snapshot = try CanonicalJSON.decode(Snapshot.self, from: data, what: what)
        // Not checked against profile.yaml's kind, which may have changed since: the manifest's is.
        try snapshot.validate(what: what, profile: profile,
                              remedy: "restore another snapshot (--snapshot ID) or run \"dpm upload \(profile)\" to make a new one")
        guard snapshot.id == id else { throw DPMError.corrupt("\(what) is not a snapshot dpm wrote: it names the snapshot \(snapshot.id).") }
        // Only a convenience: a copy that cannot be kept is read from the store next time.
        cache?.keepDocument(data, as: key, of: store)
        return snapshot
    }

    private func latestHint(_ profile: ProfileName) throws -> String {
        let known = try ids(of: profile)
        return known.isEmpty ? "it has none of \(profile)" : "latest: \(known.suffix(3).reversed().joined(separator: ", "))"
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
