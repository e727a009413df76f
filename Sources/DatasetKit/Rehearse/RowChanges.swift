import Foundation

/// Rows one table had inserted, updated and deleted during the change.
public struct TableRowChanges: Codable, Sendable, Equatable {
    public var table: String
    public var inserted: Int64
    public var updated: Int64
    public var deleted: Int64

    public init(table: String, inserted: Int64, updated: Int64, deleted: Int64) {
        self.table = table
        self.inserted = inserted
        self.updated = updated
        self.deleted = deleted
    }
}

/// PostgreSQL's per-table counters (`pg_stat_user_tables`) of the scratch database, which only
/// the change writes: read before it and after every session of it has ended (a session hands
/// its counters over as it exits), the difference is what the change did — rows of a rolled
/// back transaction included.
struct RowCounters {
    let query: DatabaseQuery

    struct Counts: Equatable { var inserted: Int64, updated: Int64, deleted: Int64 }

    func read(_ database: String) throws -> [String: Counts] {
        // A fresh connection reads the counters as they are now, not a cached copy.
        let rows = try query.query("""
            SELECT schemaname || '.' || relname, n_tup_ins::text, n_tup_upd::text, n_tup_del::text FROM pg_stat_user_tables
            """, parameters: [], in: database)
        var result: [String: Counts] = [:]
        for row in rows where row.count == 4 {
            guard let name = row[0] else { continue }
            result[name] = Counts(inserted: Int64(row[1] ?? "") ?? 0, updated: Int64(row[2] ?? "") ?? 0, deleted: Int64(row[3] ?? "") ?? 0)
        }
        return result
    }

    /// Tables whose counters moved, by name; a table the change dropped took its counters with it.
    static func changes(from before: [String: Counts], to after: [String: Counts]) -> [TableRowChanges] {
        after.keys.sorted().compactMap { name in
            let now = after[name]!, then = before[name] ?? Counts(inserted: 0, updated: 0, deleted: 0)
            let change = TableRowChanges(table: LockSummary.display(name), inserted: now.inserted - then.inserted,
                                         updated: now.updated - then.updated, deleted: now.deleted - then.deleted)
            return change.inserted == 0 && change.updated == 0 && change.deleted == 0 ? nil : change
        }
    }
}
