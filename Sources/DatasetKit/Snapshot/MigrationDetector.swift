/// Reads the versions recorded by common migration tools' tracking tables, telling the
/// tools apart by the table's columns where they share a name.
public enum MigrationDetector {
    /// dpm's own table, for projects without a migration tool.
    public static let dpmTable = "dpm_migrations"

    public static let knownTables = ["schema_migrations", "alembic_version", "django_migrations", "flyway_schema_history",
                                     "knex_migrations", "propel_migration", dpmTable]

    struct Layout {
        let tool: String
        let query: String
        var latestOnly = false
    }

    /// How to read `table`, given its columns.
    static func layout(table: String, columns: Set<String>) -> Layout? {
        switch table {
        case "schema_migrations" where columns.contains("dirty"):
            // golang-migrate keeps one row: the current version, and whether it failed half-way.
            return Layout(tool: "golang-migrate", query: "SELECT version::text FROM schema_migrations WHERE NOT dirty", latestOnly: true)
        case "schema_migrations":
            return Layout(tool: "rails/dbmate", query: "SELECT version::text FROM schema_migrations ORDER BY length(version::text), version::text")
        case "alembic_version":
            return Layout(tool: "alembic", query: "SELECT version_num::text FROM alembic_version ORDER BY 1", latestOnly: true)
        case "django_migrations":
            return Layout(tool: "django", query: "SELECT app || '.' || name FROM django_migrations ORDER BY id")
        case "flyway_schema_history":
            return Layout(tool: "flyway", query: "SELECT version FROM flyway_schema_history WHERE success AND version IS NOT NULL ORDER BY installed_rank")
        case "knex_migrations":
            return Layout(tool: "knex", query: "SELECT name FROM knex_migrations ORDER BY id")
        case "propel_migration":
            return Layout(tool: "propel", query: "SELECT version::text FROM propel_migration ORDER BY version")
        case dpmTable:
            return Layout(tool: "dpm", query: "SELECT version FROM \(dpmTable) ORDER BY length(version), version")
        default:
            return nil
        }
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
            let versions = try server.query(layout.query, parameters: [], in: database).compactMap { $0.first ?? nil }
            return MigrationState(table: table, versions: versions, tool: layout.tool, latestOnly: layout.latestOnly ? true : nil)
        }
    }
}
