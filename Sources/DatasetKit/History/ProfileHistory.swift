import Foundation

/// Where a snapshot's data came from.
public struct HistorySource: Codable, Sendable, Equatable {
    /// "database", or "dump" for `upload --from-dump`.
    public var kind: String
    /// The database's name, or the dump file's (without its folders).
    public var name: String
    /// The dumped database's name, where the dump's header gives it.
    public var database: String?

    public init(kind: String, name: String, database: String? = nil) {
        self.kind = kind
        self.name = name
        self.database = database
    }
}

/// One snapshot as `dpm log` shows it.
public struct HistoryEntry: Codable, Sendable {
    public var id: String
    public var createdAt: String
    public var message: String
    public var tags: [String]
    /// True for the snapshot profiles/<name>/manifest.json pins.
    public var pinned: Bool
    /// Uncompressed bytes of schema, data and media.
    public var size: Int64
    /// Stored bytes of every object the snapshot needs.
    public var storedSize: Int64
    /// Stored bytes of the objects it needs that no older record of the store needs (see `NewlyStored`).
    public var newlyStored: Int64
    /// The newest version of the first migration table that has one, and that table.
    public var latestMigration: String?
    public var migrationTable: String?
    public var source: HistorySource
    public var sanitized: Bool
    public var tables: Int
    public var rows: Int64
    public var mediaFiles: Int
    /// Commits of the current branch whose manifest pins this snapshot, newest first.
    public var commits: [ManifestCommit]
}

/// Every snapshot record of a profile in the store, newest first.
public struct ProfileHistory: Codable, Sendable {
    public var profile: String
    public var store: String
    /// The snapshot the manifest pins; nil when there is no (readable) manifest.
    public var pinned: String?
    public var snapshots: [HistoryEntry]
    /// Records and tags of the profile that could not be read, one sentence each.
    public var unreadable: [String]
}
