import Foundation

/// One snapshot record as `dpm prune` decided it.
public struct PruneEntry: Codable, Sendable, Equatable {
    public var id: String
    /// The time in its record; empty for a record that could not be read.
    public var createdAt: String
    public var tags: [String]
    public var kept: Bool
    /// Why it stays; empty for a removed one.
    public var reasons: [String]
    /// Stored bytes of the objects it needs that no older record of the store needs (as `dpm log` counts).
    public var newlyStored: Int64
}

/// One profile's records, newest first, and the tags removed with them.
public struct PrunedProfile: Codable, Sendable, Equatable {
    public var profile: String
    public var snapshots: [PruneEntry]
    /// Names of the tags removed because they named a removed snapshot.
    public var removedTags: [String]

    public var kept: Int { snapshots.filter(\.kept).count }
    public var removed: Int { snapshots.count - kept }
}

/// What `dpm prune` kept and removed (or, with `--dry-run`, would remove).
public struct PruneReport: Codable, Sendable {
    public var store: String
    public var dryRun: Bool
    /// The rules applied: dpm.yaml's `retention:` with the flags in place of its settings.
    public var policy: RetentionPolicy
    /// False when the project is not a git repository (only the working tree's manifests counted).
    public var gitRepository: Bool
    /// Branches, tags and remote-tracking branches whose manifests were read.
    public var refs: Int
    public var profiles: [PrunedProfile]
    public var keptSnapshots: Int
    public var removedSnapshots: Int
    public var removedTags: Int
    /// The newly stored bytes of the removed snapshots, summed.
    public var removedNewlyStored: Int64
    /// Stored bytes of the objects that only removed records name: what `dpm gc` can reclaim
    /// (at most: an upload may still reuse them).
    public var reclaimable: Int64
    /// False when the media files could not be counted in the sizes (an index not readable).
    public var mediaCounted: Bool
    public var notes: [String]
}
