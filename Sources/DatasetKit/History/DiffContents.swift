import Foundation

/// What one side of a diff holds, in the terms both kinds of side share: the normalized
/// schema dump, each captured table's figures, the media files (nil: none to compare) and the
/// migration tables' versions.
struct DiffContents {
    var summary: DiffSideSummary
    var schema: String
    var tables: [String: TableFigures]
    var media: [String: MediaFigures]?
    /// Why `media` is nil, naming the side.
    var noMedia: String?
    var migrations: [MigrationState]

    /// A snapshot's side, from its record and the two objects that say more: the schema dump
    /// (stored normalized) and the media index.
    static func of(_ resolved: ResolvedSnapshot, side: DiffSide, transfer: ObjectTransfer) throws -> DiffContents {
        let snapshot = resolved.snapshot
        let summary = DiffSideSummary(side: side.description, profile: snapshot.profile, snapshot: snapshot.id, tag: resolved.tag?.name,
                                      createdAt: snapshot.createdAt, message: snapshot.message)
        let schema = String(decoding: try transfer.fetchData(sha256: snapshot.schema.sha256, what: "schema of snapshot \(snapshot.id)"), as: UTF8.self)
        var tables: [String: TableFigures] = [:]
        for artifact in snapshot.data {
            guard let table = artifact.table else { continue }
            tables[table] = TableFigures(rows: artifact.rows ?? 0, bytes: artifact.size, id: try transfer.contentID(of: artifact))
        }
        let entries = try SnapshotLoader.mediaEntries(of: snapshot, transfer: transfer)
        let media = try entries.map { entries in
            Dictionary(try entries.map { ($0.path, MediaFigures(size: $0.size, mode: $0.mode, id: try transfer.contentID(of: $0.artifact))) },
                       uniquingKeysWith: { first, _ in first })
        }
        return DiffContents(summary: summary, schema: schema, tables: tables, media: media,
                            noMedia: media == nil ? "\(summary.label) has no media index (uploaded with --no-media, or without a media folder)" : nil,
                            migrations: snapshot.migrations)
    }
}
