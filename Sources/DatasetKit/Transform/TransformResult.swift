import Foundation

/// What a `dpm transform` run did: the summary, and `--json`.
public struct TransformResult: Codable, Equatable, Sendable {
    /// The file relative to the project, as the progress table names it.
    public var file: String
    public var database: String
    public var table: String
    public var key: String
    public var keyKind: TransformKeyKind
    /// Batches and rows (as the statement counted them) of this run.
    public var batches: Int64
    public var rows: Int64
    public var seconds: Double
    public var rowsPerSecond: Double
    /// Where this run took up an interrupted one: the end of its last committed batch.
    public var resumedFrom: String?
    /// Whether this run started over a finished transform (--again).
    public var again: Bool
    /// The walk reached its end. A run that stops before the end fails instead, and the
    /// progress table keeps where it stopped.
    public var finished: Bool
    /// Batches and rows of the whole transform, earlier runs included.
    public var totalBatches: Int64
    public var totalRows: Int64
    /// The key column had no index, so each batch scanned the table.
    public var unindexedKey: Bool
}

/// Where a running transform is, after each batch.
public struct TransformStatus: Sendable {
    public var batches: Int64
    public var rows: Int64
    public var seconds: Double
    public var rowsPerSecond: Double
    /// The bounds of the batch just committed.
    public var bounds: BatchBounds
    /// An estimate from the part of the key range walked so far; nil until there is one.
    public var secondsLeft: Double?
}
