import Foundation

/// What `dpm rehearse` found on one profile's clone: the text report and `--json`.
public struct ProfileRehearsal: Codable, Sendable {
    public var profile: String
    public var snapshot: String
    /// The scratch database's name (kept with --keep; dropped otherwise).
    public var database: String
    /// Its URI, with --keep.
    public var uri: String?
    public var kept: Bool
    /// Wall time of the change itself, and of the whole rehearsal on this profile (clone included).
    public var seconds: Double
    public var totalSeconds: Double
    public var failure: RehearsalFailure?
    public var rows: [TableRowChanges]
    public var locks: [TableLocks]
    /// How often pg_locks was sampled, in seconds; and how many samples were taken.
    public var lockSamplingInterval: Double
    public var lockSamples: Int
    /// A unified diff of `pg_dump --schema-only` before and after; nil when the schema did not change.
    public var schemaDiff: String?
    /// For a transform file: what dpm transform reported, and the estimate below.
    public var transform: TransformResult?
    public var estimate: ProductionEstimate?
}

/// Why the change failed on a clone.
public struct RehearsalFailure: Codable, Sendable {
    /// The file and its line (the failing statement's first line), for SQL files.
    public var file: String?
    public var line: Int?
    /// The failing statement's opening.
    public var statement: String?
    /// PostgreSQL's message, or the command's exit status and last lines.
    public var message: String
}

/// How long a transform would take on the snapshot's full table, at the pace it had on the clone.
public struct ProductionEstimate: Codable, Sendable {
    public var table: String
    /// Rows of the table in the snapshot's record (what was captured from the source).
    public var snapshotRows: Int64
    /// Rows of the table on the clone when the transform started.
    public var cloneRows: Int64
    public var seconds: Double
}

public struct RehearsalReport: Codable, Sendable {
    public var change: String
    /// "one transaction", "without a wrapping transaction (…)", "in batches, …", "through sh -c".
    public var mode: String
    public var profiles: [ProfileRehearsal]
    public var failed: Bool { profiles.contains { $0.failure != nil } }

    enum CodingKeys: String, CodingKey { case change, mode, profiles, failed }

    public init(change: String, mode: String, profiles: [ProfileRehearsal]) {
        self.change = change
        self.mode = mode
        self.profiles = profiles
    }

    public init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        change = try container.decode(String.self, forKey: .change)
        mode = try container.decode(String.self, forKey: .mode)
        profiles = try container.decode([ProfileRehearsal].self, forKey: .profiles)
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(change, forKey: .change)
        try container.encode(mode, forKey: .mode)
        try container.encode(profiles, forKey: .profiles)
        try container.encode(failed, forKey: .failed)
    }
}
