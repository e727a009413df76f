import Foundation

public struct TagResult: Codable, Sendable {
    public var profile: String
    public var tag: String
    public var snapshot: String
    /// The snapshot the tag named before `--force` moved it; nil for a new tag.
    public var previous: String?
    /// False when the tag already named the snapshot (nothing was written).
    public var changed: Bool
}

/// `dpm tag` and `dpm upload --tag`: a tag is created only if no tag of its name exists (the
/// store's create-only put decides between two people tagging at once); `--force` moves one.
public struct SnapshotTagging {
    let workspace: Workspace

    public init(workspace: Workspace) {
        self.workspace = workspace
    }

    public func tag(_ profile: ProfileName, _ reference: String, as name: TagName, force: Bool) throws -> TagResult {
        let project = workspace.project
        try Self.requireStoreProfile(try project.profile(profile).kind, profile)
        let catalog = SnapshotCatalog(store: workspace.store, project: project, cache: workspace.cache)
        let snapshot = try SnapshotResolver(catalog: catalog, profile: profile).resolve(reference).snapshot
        let tags = SnapshotTags(store: workspace.store, profile: profile)
        let existing = try tags.tag(name)
        var result = TagResult(profile: profile.value, tag: name.value, snapshot: snapshot.id, previous: existing?.snapshot, changed: false)
        if let existing {
            guard force else { throw Self.exists(existing, profile: profile) }
            if existing.snapshot == snapshot.id { return result }
        }
        try workspace.checkpoint("tag.before-write")
        let record = TagRecord(name: name, profile: profile, snapshot: snapshot.id, createdAt: Timestamp.iso8601(workspace.now()),
                               tool: "dpm \(workspace.toolVersion)", previous: existing?.snapshot)
        if force {
            try tags.replace(record)
        } else {
            do {
                try tags.create(record)
            } catch let error as DPMError where error.kind == .conflict {
                // Someone else's tag of this name got there between the look and the write.
                guard let winner = try tags.tag(name) else { throw error }
                throw Self.exists(winner, profile: profile)
            }
        }
        result.changed = true
        return result
    }

    /// For `upload --tag`, before anything is read: the name must be free.
    static func requireAbsent(_ name: TagName, of profile: ProfileName, kind: ProfileKind, store: ObjectStore) throws {
        try requireStoreProfile(kind, profile)
        if let existing = try SnapshotTags(store: store, profile: profile).tag(name) { throw exists(existing, profile: profile) }
    }

    /// The upload's tag, written after its record and before its manifest.
    static func tagUpload(_ snapshot: Snapshot, as name: TagName, workspace: Workspace) throws {
        let profile = try ProfileName(snapshot.profile)
        let tags = SnapshotTags(store: workspace.store, profile: profile)
        do {
            try tags.create(TagRecord(name: name, profile: profile, snapshot: snapshot.id, createdAt: snapshot.createdAt,
                                      tool: "dpm \(workspace.toolVersion)"))
        } catch let error as DPMError where error.kind == .conflict {
            let winner = (try? tags.tag(name))??.snapshot
            throw DPMError.conflict("Snapshot \(snapshot.id) of \(profile) is stored, but the tag \(name) was made meanwhile\(winner.map { " for snapshot \($0)" } ?? ""), so neither the tag nor the manifest changed; name it with \"dpm tag \(profile) \(snapshot.id) NAME\" and pin it with \"dpm pin \(profile) \(snapshot.id)\".")
        }
    }

    private static func exists(_ tag: TagRecord, profile: ProfileName) -> DPMError {
        .conflict("The tag \(tag.name) of \(profile) already names snapshot \(tag.snapshot) (since \(tag.createdAt)); choose another name, or add --force to move it.")
    }

    private static func requireStoreProfile(_ kind: ProfileKind, _ profile: ProfileName) throws {
        guard kind != .clean else {
            throw DPMError.invalidInput("The clean profile \(profile) lives in git, not in the store, so its snapshots take no tags; tag the commit with git tag instead.")
        }
    }
}
