/// Reads the versions recorded by common migration tools' tracking tables, telling the
/// tools apart by the table's columns where they share a name.
public enum MigrationDetector {
    /// dpm's own table, for projects without a migration tool.
    public static let dpmTable = "dpm_migrations"

    public static let knownTables = ["schema_migrations", "alembic_version", "django_migrations", "flyway_schema_history",
                                     "knex_migrations", "propel_migration", dpmTable]

    /// How one tool's table lists its versions: the columns read (as text), and the versions
    /// in the order applied, from those columns' values. One reading for a database's rows and
    /// for a dump's COPY lines.
    struct Layout {
        let tool: String
        let columns: [String]
        var latestOnly = false
        let versions: ([[String?]]) -> [String]
    }

    /// How to read `table`, given its columns.
    static func layout(table: String, columns: Set<String>) -> Layout? {
        switch table {
        case "schema_migrations" where columns.contains("dirty"):
            // golang-migrate keeps one row: the current version, and whether it failed half-way.
            return Layout(tool: "golang-migrate", columns: ["version", "dirty"], latestOnly: true) { rows in
                rows.filter { !isTrue($0[1]) }.compactMap { $0[0] }
            }
        case "schema_migrations":
            return Layout(tool: "rails/dbmate", columns: ["version"]) { rows in byLengthThenText(rows.compactMap { $0[0] }) }
        case "alembic_version":
            return Layout(tool: "alembic", columns: ["version_num"], latestOnly: true) { rows in rows.compactMap { $0[0] }.sorted() }
        case "django_migrations":
            return Layout(tool: "django", columns: ["id", "app", "name"]) { rows in
                byNumber(rows, column: 0).compactMap { row in row[1].flatMap { app in row[2].map { "\(app).\($0)" } } }
            }
        case "flyway_schema_history":
            return Layout(tool: "flyway", columns: ["installed_rank", "version", "success"]) { rows in
                byNumber(rows.filter { isTrue($0[2]) }, column: 0).compactMap { $0[1] }
            }
        case "knex_migrations":
            return Layout(tool: "knex", columns: ["id", "name"]) { rows in byNumber(rows, column: 0).compactMap { $0[1] } }
        case "propel_migration":
            return Layout(tool: "propel", columns: ["version"]) { rows in byLengthThenText(rows.compactMap { $0[0] }) }
        case dpmTable:
            return Layout(tool: "dpm", columns: ["version"]) { rows in byLengthThenText(rows.compactMap { $0[0] }) }
        default:
            return nil
        }
    }

    /// A boolean as `::text` ("true") or COPY ("t") writes it.
    private static func isTrue(_ value: String?) -> Bool { value == "t" || value == "true" }

    /// Version numbers of any width in numeric order ("9" before "10").
    private static func byLengthThenText(_ versions: [String]) -> [String] {
        versions.sorted { ($0.count, $0) < ($1.count, $1) }
    }

    private static func byNumber(_ rows: [[String?]], column: Int) -> [[String?]] {
        rows.sorted { (Int($0[column] ?? "") ?? 0) < (Int($1[column] ?? "") ?? 0) }
    }

    /// How many versions the tracking tables of `database` record in all.
    public static func appliedCount(in database: String, on server: DatabaseQuery) throws -> Int {
        try detect(in: database, on: server).reduce(0) { $0 + $1.versions.count }
    }

    /// The migration state of every known tracking table present in `database` (in the
    /// schemas of its search path).
    public static func detect(in database: String, on server: DatabaseQuery) throws -> [MigrationState] {
        let rows = try server.query("""
            SELECT c.relname::text, a.attname::text FROM pg_class c
            JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
            WHERE c.relkind IN ('r', 'p') AND c.relname = ANY($1::text[]) AND pg_table_is_visible(c.oid)
            """, parameters: ["{" + knownTables.joined(separator: ",") + "}"], in: database)
        var columns: [String: Set<String>] = [:]
        for row in rows {
            guard let table = row[0], let column = row[1] else { continue }
            columns[table, default: []].insert(column)
        }
        return try knownTables.compactMap { table in
            guard let present = columns[table], let layout = layout(table: table, columns: present) else { return nil }
            let query = "SELECT \(layout.columns.map { "\($0)::text" }.joined(separator: ", ")) FROM \(table)"
            let versions = layout.versions(try server.query(query, parameters: [], in: database))
            return MigrationState(table: table, versions: versions, tool: layout.tool, latestOnly: layout.latestOnly ? true : nil)
        }
    }
}
