/// Counts what a database holds, for summaries of restores that have no snapshot record
/// (clean profiles load plain SQL from git).
struct DatabaseInventory {
    var tables: Int
    var rows: Int64
    var bytes: Int64

    /// Exact row counts (each table's own rows: an inheritance parent's count leaves out its
    /// children's), meant for seed-sized databases, not for production copies.
    static func take(of database: String, on server: DatabaseQuery) throws -> DatabaseInventory {
        let sql = """
        SELECT count(*)::text,
               coalesce(sum((xpath('/row/c/text()', query_to_xml(
                   format('SELECT count(*) AS c FROM ONLY %I.%I', n.nspname, c.relname), false, true, '')))[1]::text::bigint), 0)::text,
               pg_database_size(current_database())::text
        FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE c.relkind = 'r' AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%'
        """
        let row = try server.query(sql, parameters: [], in: database).first ?? []
        func number(_ index: Int) -> Int64 { row.count > index ? row[index].flatMap { Int64($0) } ?? 0 : 0 }
        return DatabaseInventory(tables: Int(number(0)), rows: number(1), bytes: number(2))
    }
}
