/// What `dpm diff` found between two sides: `before` is the first side given, `after` the second.
public struct DiffReport: Codable, Sendable {
    public var before: DiffSideSummary
    public var after: DiffSideSummary
    /// True when schema, tables, media (where both sides have a media index) and migrations agree.
    public var identical: Bool
    public var schema: SchemaDifference
    public var tables: TableDiff
    public var media: MediaDiff
    /// Every tracking table either side has, in the order dpm looks for them.
    public var migrations: [MigrationDifference]

    public init(before: DiffSideSummary, after: DiffSideSummary, schema: SchemaDifference, tables: TableDiff, media: MediaDiff,
                migrations: [MigrationDifference]) {
        self.before = before
        self.after = after
        self.schema = schema
        self.tables = tables
        self.media = media
        self.migrations = migrations
        identical = schema.identical && tables.isIdentical && media.isIdentical && migrations.allSatisfy(\.isIdentical)
    }
}

/// Which snapshot (or working database) a side turned out to be.
public struct DiffSideSummary: Codable, Sendable, Equatable {
    /// The side as written: `ug`, `ug@contract-7`, `--working`.
    public var side: String
    public var profile: String?
    public var snapshot: String?
    /// The tag the side named the snapshot by, when it did.
    public var tag: String?
    public var createdAt: String?
    public var message: String?
    /// `--working`: the working database's name, and the media folder (relative to the project).
    public var database: String?
    public var mediaFolder: String?

    public init(side: String, profile: String? = nil, snapshot: String? = nil, tag: String? = nil, createdAt: String? = nil,
                message: String? = nil, database: String? = nil, mediaFolder: String? = nil) {
        self.side = side
        self.profile = profile
        self.snapshot = snapshot
        self.tag = tag
        self.createdAt = createdAt
        self.message = message
        self.database = database
        self.mediaFolder = mediaFolder
    }

    /// `ug@20260601T090000Z-1a2b3c`, or `working database app_dev`: how labels and the summary name it.
    public var label: String {
        if let database { return "working database \(database)" }
        return "\(profile ?? side)@\(snapshot ?? "?")"
    }
}

public enum DiffStatus: String, Codable, Sendable {
    case added, removed, changed, unchanged
}

/// The schema dumps of both sides (normalized as uploads store them), as a unified diff.
public struct SchemaDifference: Codable, Sendable, Equatable {
    public var identical: Bool
    public var linesAdded: Int
    public var linesRemoved: Int
    /// `diff -u` text with 3 lines of context; empty when identical.
    public var unified: String

    public init(before: String, after: String, beforeLabel: String, afterLabel: String) {
        let changes = LineDiff.changes(from: before, to: after)
        linesAdded = changes.added
        linesRemoved = changes.removed
        identical = changes.added == 0 && changes.removed == 0
        unified = LineDiff.unified(from: before, to: after, fromLabel: beforeLabel, toLabel: afterLabel, maxLines: .max)
    }
}

/// A table's captured rows: as a snapshot's data artifact records them, or as a dump of the
/// working database measures them the way an upload would.
public struct TableFigures: Codable, Sendable, Equatable {
    public var rows: Int64
    /// The bytes of its COPY data file (uncompressed).
    public var bytes: Int64
    /// The object id of that data: equal ids, equal rows.
    public var id: String

    public init(rows: Int64, bytes: Int64, id: String) {
        self.rows = rows
        self.bytes = bytes
        self.id = id
    }
}

public struct TableDifference: Codable, Sendable, Equatable {
    /// "schema.table".
    public var table: String
    public var status: DiffStatus
    public var before: TableFigures?
    public var after: TableFigures?
}

public struct TableDiff: Codable, Sendable, Equatable {
    /// What "changed" compares: the object ids of the tables' data, `sha256` or `hmac-sha256` (an encrypted store's).
    public var comparedBy: String
    public var added: Int
    public var removed: Int
    public var changed: Int
    public var unchanged: Int
    /// Every table whose rows either side captured, by name.
    public var tables: [TableDifference]

    public var isIdentical: Bool { added == 0 && removed == 0 && changed == 0 }
}

/// A media file: its size, permission bits and object id.
public struct MediaFigures: Codable, Sendable, Equatable {
    public var size: Int64
    public var mode: Int
    public var id: String

    public init(size: Int64, mode: Int, id: String) {
        self.size = size
        self.mode = mode
        self.id = id
    }
}

public struct MediaDifference: Codable, Sendable, Equatable {
    public var path: String
    public var status: DiffStatus
    public var before: MediaFigures?
    public var after: MediaFigures?
}

public struct MediaDiff: Codable, Sendable, Equatable {
    /// False when a side has no media to compare (a snapshot without a media index, a project
    /// without a media folder); `notCompared` says which and why.
    public var compared: Bool
    public var notCompared: String?
    public var added: Int
    public var removed: Int
    public var changed: Int
    public var unchanged: Int
    /// The files added, removed or changed (by content or permission bits), by path.
    public var files: [MediaDifference]

    public var isIdentical: Bool { added == 0 && removed == 0 && changed == 0 }

    static func notCompared(_ reason: String) -> MediaDiff {
        MediaDiff(compared: false, notCompared: reason, added: 0, removed: 0, changed: 0, unchanged: 0, files: [])
    }
}

/// One tracking table's versions on each side.
public struct MigrationDifference: Codable, Sendable, Equatable {
    public var table: String
    public var tool: String?
    /// How many versions each side records (0 where it has no such table).
    public var appliedBefore: Int
    public var appliedAfter: Int
    public var latestBefore: String?
    public var latestAfter: String?
    /// Versions only the first side has applied, and only the second, each in its side's order.
    public var onlyBefore: [String]
    public var onlyAfter: [String]

    public var isIdentical: Bool { onlyBefore.isEmpty && onlyAfter.isEmpty }
}
