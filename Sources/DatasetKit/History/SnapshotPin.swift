import Foundation

public struct PinResult: Codable, Sendable {
    public var profile: String
    public var snapshot: String
    /// The tag the snapshot was named by, when it was.
    public var tag: String?
    /// What the manifest pinned before; nil when there was no (readable) manifest.
    public var previous: String?
    /// False when the manifest already pinned the snapshot (nothing was written).
    public var changed: Bool
    public var createdAt: String
    public var message: String
    public var manifest: String
}

/// `dpm pin`: rewrites a profile's manifest to pin another snapshot of the store, once every
/// object it needs (media files included) is there with the size its record gives, through
/// the same write an upload's last step makes (atomic, under the profile's lock, refused if
/// the manifest changed while the snapshot was checked).
public struct SnapshotPin {
    let workspace: Workspace

    public init(workspace: Workspace) {
        self.workspace = workspace
    }

    public func pin(_ profile: ProfileName, to reference: String) throws -> PinResult {
        let project = workspace.project
        let spec = try project.profile(profile)
        guard spec.kind != .clean else {
            throw DPMError.invalidInput("The clean profile \(profile) lives in git, not in the store, so there is nothing to pin; check out the commit whose db/migration-base/\(profile)/ you want instead.")
        }
        let writer = ManifestPin(project: project, profile: profile, store: workspace.store, work: .pin)
        let previous = try? project.manifest(profile)
        let catalog = SnapshotCatalog(store: workspace.store, project: project, cache: workspace.cache)
        let resolved = try SnapshotResolver(catalog: catalog, profile: profile).resolve(reference)
        let snapshot = resolved.snapshot
        var result = PinResult(profile: profile.value, snapshot: snapshot.id, tag: resolved.tag?.name, previous: previous?.id,
                               changed: false, createdAt: snapshot.createdAt, message: snapshot.message, manifest: writer.manifestName)
        if previous == snapshot { return result }
        guard snapshot.kind == spec.kind else {
            throw DPMError.invalidInput("Snapshot \(snapshot.id) was made when \(profile) was a \(snapshot.kind.rawValue) profile, but profile.yaml says \(spec.kind.rawValue) now, so restore would refuse its manifest; nothing was changed.")
        }
        guard snapshot.compression == workspace.codec.name else {
            throw DPMError.invalidInput("Snapshot \(snapshot.id) of \(profile) is compressed with \(snapshot.compression), which this dpm cannot read (it uses \(workspace.codec.name)); nothing was changed.")
        }
        try checkComplete(snapshot)
        try workspace.checkpoint("pin.before-manifest")
        try writer.pin(snapshot)
        result.changed = true
        return result
    }

    /// Every object the snapshot needs is in the store, as restore checks before it builds anything.
    private func checkComplete(_ snapshot: Snapshot) throws {
        let check = SnapshotObjectCheck(transfer: try workspace.transfer(), action: "pinned")
        let media: [MediaEntry]?
        do {
            media = try SnapshotLoader.mediaEntries(of: snapshot, transfer: try workspace.transfer())
        } catch {
            // A missing or damaged index is named as the check names any object; anything else as it is.
            try check.check(snapshot, media: nil)
            throw error
        }
        try check.check(snapshot, media: media)
    }
}
