import DatasetKit
import Foundation

/// `DatabaseCatalog`: databases as catalog entries, over the shared maintenance connection.
extension PostgresServer {
    public func databaseExists(_ name: String) throws -> Bool {
        try !withMaintenance { try $0.query("SELECT 1 FROM pg_database WHERE datname = $1", [name]) }.isEmpty
    }

    public func databaseNames(matching pattern: String) throws -> [String] {
        try withMaintenance { try $0.query("SELECT datname FROM pg_database WHERE datname ~ $1 ORDER BY 1", [pattern]) }
            .compactMap { $0.first ?? nil }
    }

    public func catalog(named exactly: String, orMatching pattern: String) throws -> [DatabaseEntry] {
        try withMaintenance {
            try $0.query("""
                SELECT datname, shobj_description(oid, 'pg_database'), datistemplate::text FROM pg_database
                WHERE datname = $1 OR datname ~ $2 OR shobj_description(oid, 'pg_database') LIKE 'dpm {%' ORDER BY 1
                """, [exactly, pattern])
        }.map { DatabaseEntry(name: $0[0] ?? "", comment: $0[1], isTemplate: $0[2] == "true") }
    }

    public func databaseSize(_ name: String) throws -> Int64 {
        let rows = try withMaintenance { try $0.query("SELECT pg_database_size($1)::text", [name]) }
        return rows.first?.first?.flatMap { Int64($0) } ?? 0
    }

    public func cloneDatabase(from template: String, to name: String) throws {
        // FILE_COPY copies the template's files as they are (PostgreSQL 15 made WAL_LOG the
        // default, which writes every page through the WAL and is much slower for large databases).
        let strategy = try serverVersion().major >= 15 ? " STRATEGY FILE_COPY" : ""
        try administer("create the database \(name) from the template \(template)") {
            try $0.query("CREATE DATABASE \(SQL.identifier(name)) TEMPLATE \(SQL.identifier(template))\(strategy)")
        }
        try copySettings(from: template, to: name)
    }

    public func setTemplate(_ name: String, _ isTemplate: Bool) throws {
        try administer(isTemplate ? "mark the database \(name) as a template" : "unmark the template \(name)") {
            try $0.query("ALTER DATABASE \(SQL.identifier(name)) WITH IS_TEMPLATE \(isTemplate) ALLOW_CONNECTIONS \(!isTemplate)")
        }
    }

    public func applyAtomically(_ changes: [CatalogChange], afterEach: (Int) throws -> Void) throws {
        try administer("switch the databases") { connection in
            try connection.query("BEGIN")
            do {
                for (index, change) in changes.enumerated() {
                    switch change {
                    case .rename(let name, let newName):
                        try connection.query("ALTER DATABASE \(SQL.identifier(name)) RENAME TO \(SQL.identifier(newName))")
                    case .comment(let name, let text):
                        try connection.query("COMMENT ON DATABASE \(SQL.identifier(name)) IS \(text.map(SQL.literal) ?? "NULL")")
                    }
                    try afterEach(index)
                }
                try connection.query("COMMIT")
            } catch {
                _ = try? connection.query("ROLLBACK")
                throw error
            }
        }
    }

    /// Client sessions only: autovacuum workers come and go on their own, and PostgreSQL
    /// stops them itself before a rename or drop.
    public func sessions(on database: String) throws -> [DatabaseSession] {
        try withMaintenance {
            try $0.query("""
                SELECT pid::text, coalesce(usename, ''), coalesce(application_name, ''),
                       coalesce(host(client_addr), 'the local socket')
                FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()
                  AND backend_type = 'client backend' ORDER BY pid
                """, [database])
        }.map { DatabaseSession(pid: Int($0[0] ?? "") ?? 0, user: $0[1] ?? "", application: $0[2] ?? "", client: $0[3] ?? "") }
    }

    public func isBusy(with name: String) throws -> Bool {
        try !withMaintenance {
            try $0.query("""
                SELECT 1 FROM pg_stat_activity
                WHERE state = 'active' AND pid <> pg_backend_pid() AND strpos(query, $1) > 0
                """, [name])
        }.isEmpty
    }

    public func createPrivilege() throws -> (role: String, allowed: Bool) {
        let row = try withMaintenance {
            try $0.query("SELECT current_user::text, (rolcreatedb OR rolsuper)::text FROM pg_roles WHERE rolname = current_user")
        }.first
        return (row?[0] ?? settings.user, row?[1] == "true")
    }

    public func createDatabase(_ name: String) throws {
        try administer("create the database \(name)") {
            try $0.query("CREATE DATABASE \(SQL.identifier(name)) TEMPLATE template0")
        }
    }

    public func renameDatabase(_ name: String, to newName: String) throws {
        try administer("rename the database \(name) to \(newName)") {
            try $0.query("ALTER DATABASE \(SQL.identifier(name)) RENAME TO \(SQL.identifier(newName))")
        }
    }

    public func dropDatabase(_ name: String) throws {
        try administer("drop the database \(name)") {
            try $0.query("DROP DATABASE \(SQL.identifier(name)) WITH (FORCE)")
        }
    }

    public func terminateConnections(to name: String) throws {
        try administer("end the sessions connected to \(name)") {
            try $0.query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()", [name])
        }
    }

    /// Runs administrative SQL on the maintenance database, turning privilege errors into advice.
    func administer(_ action: String, _ body: (Connection) throws -> Void) throws {
        do {
            try withMaintenance(body)
        } catch let error as ServerError {
            if error.sqlState == "42501", error.message.hasPrefix("must be owner") {
                throw DPMError.permissionDenied("Cannot \(action): the role \(settings.user) does not own it (\(error.message)); its owner or a superuser can, or can hand it over with ALTER DATABASE ... OWNER TO \(settings.user).", sqlState: error.code)
            }
            if error.sqlState == "42501" {
                throw DPMError.permissionDenied("Cannot \(action): the role \(settings.user) lacks the privilege (\(error.message)); a superuser can grant it with ALTER ROLE \(settings.user) CREATEDB.", sqlState: error.code)
            }
            if error.sqlState == "55006" {
                throw DPMError.inUse("Cannot \(action): \(error.message).", sqlState: error.code)
            }
            throw DPMError.database("Cannot \(action): \(error.message).", sqlState: error.code)
        }
    }
}
