import Foundation

/// The rows of a migration tracking table as SQL a base schema can carry, so that a tool
/// reading the table finds the squashed migrations applied.
struct TrackingRows {
    /// Schema-qualified and quoted, e.g. public.schema_migrations: base files set an empty
    /// search_path, as pg_dump does.
    let qualifiedName: String
    /// The columns written; columns filled by a clock or a sequence keep their default, so
    /// that the file is the same whenever it is written.
    let columns: [String]

    /// The table named `table` visible in `database`, or nil when it does not exist.
    static func find(_ table: String, in database: String, on server: DatabaseQuery) throws -> TrackingRows? {
        let rows = try server.query("""
            SELECT quote_ident(n.nspname) || '.' || quote_ident(c.relname), quote_ident(a.attname),
                   a.attidentity <> '' OR a.attgenerated <> '' OR coalesce(pg_get_expr(d.adbin, d.adrelid)
                     ~* '(now\\(|current_timestamp|localtimestamp|clock_timestamp|statement_timestamp|transaction_timestamp|nextval\\()', false)
            FROM pg_class c
            JOIN pg_namespace n ON n.oid = c.relnamespace
            JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
            LEFT JOIN pg_attrdef d ON d.adrelid = c.oid AND d.adnum = a.attnum
            WHERE c.relname = $1 AND c.relkind IN ('r', 'p') AND pg_table_is_visible(c.oid)
            ORDER BY a.attnum
            """, parameters: [table], in: database)
        guard let name = rows.first?[0] ?? nil else { return nil }
        let columns = rows.compactMap { $0[2] == "t" ? nil : $0[1] }
        guard !columns.isEmpty else { return nil }
        return TrackingRows(qualifiedName: name, columns: columns)
    }

    /// Each row as a VALUES tuple ("('20260301090000', 'create_labels')"), sorted by its
    /// values with numbers compared as numbers.
    func rows(in database: String, on server: DatabaseQuery) throws -> [String] {
        let values = columns.map { "quote_nullable(\($0))" }.joined(separator: " || ', ' || ")
        return try server.query("SELECT '(' || \(values) || ')' FROM \(qualifiedName)", parameters: [], in: database)
            .compactMap { $0.first ?? nil }
            .sorted { $0.compare($1, options: .numeric) == .orderedAscending }
    }

    /// One INSERT of `rows`, with a comment saying why it is there; empty without rows.
    func section(_ rows: [String], squashedThrough version: String) -> String {
        guard !rows.isEmpty else { return "" }
        return """
            --
            -- Migrations included in this base (dpm squash, through \(version)): tools that
            -- read \(qualifiedName) treat them as applied.
            --

            INSERT INTO \(qualifiedName) (\(columns.joined(separator: ", "))) VALUES
            \(rows.map { "    " + $0 }.joined(separator: ",\n"));

            """
    }
}
