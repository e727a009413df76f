/// Reads the versions recorded by common migration tools' tracking tables.
public enum MigrationDetector {
    struct Layout {
        let table: String
        let query: String
    }

    /// The tables dpm knows, and how to list each one's applied versions in order.
    static let layouts: [Layout] = [
        Layout(table: "schema_migrations", query: "SELECT version::text FROM schema_migrations ORDER BY version"),
        Layout(table: "alembic_version", query: "SELECT version_num::text FROM alembic_version ORDER BY version_num"),
        Layout(table: "django_migrations", query: "SELECT app || '.' || name FROM django_migrations ORDER BY id"),
        Layout(table: "flyway_schema_history",
               query: "SELECT version FROM flyway_schema_history WHERE success AND version IS NOT NULL ORDER BY installed_rank"),
    ]

    public static var knownTables: [String] { layouts.map(\.table) }

    /// The migration state of every known tracking table present in `database`.
    public static func detect(in database: String, on server: DatabaseServer) throws -> [MigrationState] {
        let present = try server.query(
            "SELECT name FROM unnest($1::text[]) AS name WHERE to_regclass(name) IS NOT NULL",
            parameters: ["{" + knownTables.joined(separator: ",") + "}"], in: database
        ).compactMap { $0.first ?? nil }
        return try layouts.filter { present.contains($0.table) }.map { layout in
            let versions = try server.query(layout.query, parameters: [], in: database).compactMap { $0.first ?? nil }
            return MigrationState(table: layout.table, versions: versions)
        }
    }
}
