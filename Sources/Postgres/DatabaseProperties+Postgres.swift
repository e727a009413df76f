import DatasetKit
import Foundation

/// Reading and recreating what a database is (encoding, collation, settings, comment).
extension PostgresServer {
    public func properties(of database: String) throws -> DatabaseProperties {
        // The ICU locale column was daticulocale until PostgreSQL 17 renamed it datlocale.
        let localeColumn = try serverVersion().major >= 17 ? "datlocale" : "daticulocale"
        let rows = try withMaintenance {
            try $0.query("""
                SELECT pg_encoding_to_char(d.encoding), d.datlocprovider::text, d.datcollate, d.datctype, d.\(localeColumn),
                       shobj_description(d.oid, 'pg_database'),
                       (SELECT array_to_string(s.setconfig, E'\\n') FROM pg_db_role_setting s WHERE s.setdatabase = d.oid AND s.setrole = 0)
                FROM pg_database d WHERE d.datname = $1
                """, [database])
        }
        guard let row = rows.first else { throw DPMError.notFound("The database \(database) does not exist.") }
        let provider: DatabaseProperties.LocaleProvider = switch row[1] {
        case "i": .icu
        case "b": .builtin
        default: .libc
        }
        let comment = row[5].flatMap { DatabaseLabel.parse($0) == nil && !$0.hasPrefix("dpm {") ? $0 : nil }
        return DatabaseProperties(encoding: row[0] ?? "UTF8", localeProvider: provider, collate: row[2] ?? "C", ctype: row[3] ?? "C",
                                  locale: provider == .libc ? nil : row[4], settings: row[6]?.split(separator: "\n").map(String.init) ?? [],
                                  comment: comment)
    }

    public func createDatabase(_ name: String, like properties: DatabaseProperties?) throws -> DatabaseFallback? {
        guard let properties else {
            try createDatabase(name)
            return nil
        }
        do {
            _ = try withMaintenance { try $0.query("CREATE DATABASE \(SQL.identifier(name)) TEMPLATE template0 " + clauses(for: properties)) }
            return nil
        } catch let error as ServerError where Self.isLocaleProblem(error) {
            // The server lacks the locale (or it does not fit the encoding): keep the encoding
            // and sort bytewise; failing that, take the server's defaults.
            let bytewise = DatabaseProperties(encoding: properties.encoding, localeProvider: .libc, collate: "C", ctype: "C")
            do {
                _ = try withMaintenance { try $0.query("CREATE DATABASE \(SQL.identifier(name)) TEMPLATE template0 " + clauses(for: bytewise)) }
                return DatabaseFallback(wanted: properties, used: bytewise, reason: error.message)
            } catch is ServerError {
                try createDatabase(name)
                return DatabaseFallback(wanted: properties, used: nil, reason: error.message)
            }
        } catch let error as ServerError {
            // Any other refusal (privileges, a taken name) gets administer's advice.
            try administer("create the database \(name)") { _ in throw error }
            return nil
        }
    }

    private func clauses(for properties: DatabaseProperties) -> String {
        var text = "ENCODING \(SQL.literal(properties.encoding)) LC_COLLATE \(SQL.literal(properties.collate)) LC_CTYPE \(SQL.literal(properties.ctype))"
        switch properties.localeProvider {
        case .libc:
            text += " LOCALE_PROVIDER libc"
        case .icu:
            text += " LOCALE_PROVIDER icu ICU_LOCALE \(SQL.literal(properties.locale ?? "und"))"
        case .builtin:
            text += " LOCALE_PROVIDER builtin BUILTIN_LOCALE \(SQL.literal(properties.locale ?? "C"))"
        }
        return text
    }

    /// 22023 invalid_parameter_value: an unknown locale, or one that does not fit the encoding;
    /// 42809 wrong_object_type: an unsupported provider on an older server.
    private static func isLocaleProblem(_ error: ServerError) -> Bool {
        ["22023", "42809", "0A000", "42704"].contains(error.sqlState)
    }

    /// Gives `database` the source's `ALTER DATABASE … SET` settings. Each value goes through
    /// `set_config` and `SET … FROM CURRENT`, so PostgreSQL itself parses it (lists such as
    /// search_path keep their elements) and no value is spliced into SQL.
    public func applySettings(_ settings: [String], to database: String) throws -> [String] {
        var refused: [String] = []
        for setting in settings {
            guard let equals = setting.firstIndex(of: "=") else { continue }
            let name = String(setting[..<equals]), value = String(setting[setting.index(after: equals)...])
            do {
                try withMaintenance { connection in
                    try connection.query("BEGIN")
                    do {
                        _ = try connection.query("SELECT set_config($1, $2, true)", [name, value])
                        try connection.query("ALTER DATABASE \(SQL.identifier(database)) SET \(SQL.identifier(name)) FROM CURRENT")
                        try connection.query("COMMIT")
                    } catch {
                        _ = try? connection.query("ROLLBACK")
                        throw error
                    }
                }
            } catch let error as ServerError {
                refused.append("\(name) (\(error.message))")
            }
        }
        return refused
    }

    /// `CREATE DATABASE … TEMPLATE` copies the files, not the settings: copy those too.
    func copySettings(from template: String, to database: String) throws {
        let settings = try properties(of: template).settings
        let refused = try applySettings(settings, to: database)
        if !refused.isEmpty {
            throw DPMError.database("Cannot give \(database) the settings of \(template): \(refused.joined(separator: "; ")).")
        }
    }

    public func setComment(_ comment: String?, on database: String) throws {
        try administer("comment on the database \(database)") {
            try $0.query("COMMENT ON DATABASE \(SQL.identifier(database)) IS \(comment.map(SQL.literal) ?? "NULL")")
        }
    }
}
