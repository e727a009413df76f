import Foundation

/// What `dpm squash` found, proved and (unless it was a dry run) wrote.
public struct SquashPlan: Codable, Sendable {
    /// A profile whose applied migrations limit the squash.
    public struct ComparedProfile: Codable, Sendable {
        public var name: String
        /// Its pinned snapshot (clean profiles: the "git-" key of their files); nil without one.
        public var snapshot: String?
        public var note: String?
    }

    public struct DataFile: Codable, Sendable {
        public var path: String
        /// "kept", "rewritten", or "none" (the profile has no data.sql and needs none).
        public var action: String
        public var reason: String?
    }

    /// The independent check: two scratch databases built two ways have one schema.
    public struct Proof: Codable, Sendable {
        /// A: the old base with every migration file.
        public var oldBaseMigrations: Int
        /// B: the new base with the files that remain.
        public var newBaseMigrations: Int
        public var schemaLines: Int
        public var trackingRows: Int
    }

    public var source: String
    public var sourceSnapshot: String
    public var target: String
    public var trackingTable: String
    /// The rows of `trackingTable` the new schema.sql inserts: the squashed migrations and
    /// those earlier squashes folded in.
    public var trackingRowsInBase: Int
    public var squashed: [MigrationFile]
    public var kept: [SquashSelection.Kept]
    public var profiles: [ComparedProfile]
    public var schemaPath: String
    /// "snapshot": the source snapshot's schema; "migrations": the old base with the squashed
    /// migrations replayed (the source has applied more than can be squashed).
    public var baseFrom: String
    public var schemaLinesBefore: Int
    public var schemaLinesAfter: Int
    public var dataFile: DataFile
    public var proof: Proof
    /// Files deleted (or, in a dry run, to delete): the squashed migrations and their .down.sql.
    public var removedFiles: [String]
    public var dryRun: Bool
    /// A command that shows the change in git.
    public var review: String
    public var seconds: Double
}

/// A proved squash, ready to write.
public struct PreparedSquash: Sendable {
    public var plan: SquashPlan
    let schema: Data
    /// Nil when data.sql stays as it is.
    let data: Data?
    let manifest: Snapshot
}
