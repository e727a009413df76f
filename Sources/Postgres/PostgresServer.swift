import DatasetKit
import Foundation

/// `DatabaseServer` over libpq and the PostgreSQL client tools.
public final class PostgresServer: DatabaseServer, @unchecked Sendable {
    public let settings: ConnectionSettings
    private let clientSettings: PostgresClientSettings
    private let cachedVersion = Locked<ServerVersion?>(nil)
    /// One connection to the maintenance database, reused: a switch makes several catalog
    /// calls and must stay within milliseconds.
    private let maintenance = Locked<Connection?>(nil)
    private let locatedTools = Locked<[String: String]>([:])
    /// psql's version, asked once: a clean profile loads in three psql runs.
    private let psqlVersion = Locked<PsqlVersion?>(nil)

    public init(settings: ConnectionSettings, clientTools: PostgresClientSettings = PostgresClientSettings(environment: [:])) {
        self.settings = settings
        self.clientSettings = clientTools
    }

    public var displayName: String { "\(settings.location) as \(settings.user)" }
    public var defaultDatabase: String { settings.database }

    /// A connection to `database`; the maintenance database when nil.
    func connect(_ database: String?) throws -> Connection {
        if let database { return try Connection(settings.with(database: database)) }
        do {
            return try Connection(settings.with(database: "postgres"))
        } catch {
            // Some servers have no "postgres" database; any other failure is the one to report.
            guard let fallback = try? Connection(settings.with(database: "template1")) else { throw error }
            return fallback
        }
    }

    public func serverVersion() throws -> ServerVersion {
        if let version = cachedVersion.current { return version }
        let connection = try connect(nil)
        let text = try connection.query("SHOW server_version").first?.first??.description ?? "unknown"
        let version = ServerVersion(number: connection.serverVersionNumber, text: text)
        cachedVersion.withValue { $0 = version }
        return version
    }

    private func tools() throws -> ClientTools {
        ClientTools(serverMajor: try serverVersion().major, settings: clientSettings, located: locatedTools)
    }

    /// Runs `body` on the shared maintenance connection, opening it on first use.
    func withMaintenance<T>(_ body: (Connection) throws -> T) throws -> T {
        try maintenance.withValue { connection in
            if connection == nil { connection = try connect(nil) }
            return try body(connection!)
        }
    }

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

    public var commandLineOptions: [String] { ["-h", settings.host, "-p", settings.port, "-U", settings.user] }

    public func connectionURI(for database: String) -> String {
        settings.with(database: database).uri
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

    public func query(_ sql: String, parameters: [String?], in database: String) throws -> [[String?]] {
        do {
            return try connect(database).query(sql, parameters)
        } catch let error as ServerError {
            throw DPMError.database("A query in \(database) failed: \(error.message).", sqlState: error.code)
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

    /// Runs a client tool's `body` with its `--dbname` argument for `database` and its
    /// environment: the password in PGPASSWORD, other secrets in a 0600 service file
    /// (`ClientSecrets`), none of them on argv.
    @discardableResult
    private func withClient<T>(_ database: String, _ body: (_ dbArgument: String, _ environment: [String: String]) throws -> T) throws -> T {
        let target = settings.with(database: database)
        var environment = target.childEnvironment
        guard let secrets = try ClientSecrets(target.toolSecrets) else { return try body("--dbname=\(target.conninfo)", environment) }
        defer { secrets.remove() }
        environment["PGSERVICEFILE"] = secrets.path
        return try body("--dbname=\(target.conninfo) service=\(ClientSecrets.service)", environment)
    }

    private static func filterArguments(_ filters: TableFilters) -> [String] {
        filters.include.map { "--table=\($0)" } + filters.exclude.map { "--exclude-table=\($0)" }
            + filters.excludeData.map { "--exclude-table-data=\($0)" }
    }

    public func dumpSchema(of database: String, filters: TableFilters) throws -> String {
        let output = try withClient(database) { dbArgument, environment in
            try tools().runTool("pg_dump", ["--schema-only", "--no-owner", "--no-privileges", dbArgument]
                + Self.filterArguments(filters), environment: environment, capture: true)
        }
        return String(decoding: output.stdout, as: UTF8.self)
    }

    public func dumpDataSQL(of database: String, filters: TableFilters) throws -> String {
        let output = try withClient(database) { dbArgument, environment in
            try tools().runTool("pg_dump", ["--data-only", "--no-owner", "--no-privileges", dbArgument]
                + Self.filterArguments(filters), environment: environment, capture: true)
        }
        return String(decoding: output.stdout, as: UTF8.self)
    }

    public func dumpDirectory(of database: String, to directory: String, jobs: Int, filters: TableFilters) throws {
        // Uncompressed: dpm compresses each file itself, in parallel, while hashing it.
        // No fsync: the folder is scratch space read back at once.
        try withClient(database) { dbArgument, environment in
            try tools().runTool("pg_dump", ["--format=directory", "--compress=0", "--jobs=\(jobs)", "--no-sync",
                                            "--file=\(directory)", dbArgument] + Self.filterArguments(filters),
                                environment: environment)
        }
    }

    public func listDirectory(_ directory: String, sections: [DumpSection], verbose: Bool) throws -> String {
        let arguments = ["--list"] + (verbose ? ["--verbose"] : []) + Self.arguments(sections) + [directory]
        let output = try tools().runTool("pg_restore", arguments, environment: settings.childEnvironment, capture: true)
        return String(decoding: output.stdout, as: UTF8.self)
    }

    public func restoreDirectory(_ directory: String, into database: String, jobs: Int, sections: [DumpSection], listFile: String?) throws {
        // Roles and grants of the source server rarely exist locally: restore without them.
        let arguments = ["--jobs=\(jobs)", "--no-owner", "--no-privileges", "--exit-on-error"]
            + Self.arguments(sections) + (listFile.map { ["--use-list=\($0)"] } ?? [])
        try withClient(database) { dbArgument, environment in
            try tools().runTool("pg_restore", arguments + [dbArgument, directory], environment: environment)
        }
    }

    public func restoreScript(of directory: String, sections: [DumpSection], listFile: String) throws -> String {
        let arguments = ["--no-owner", "--no-privileges", "--use-list=\(listFile)", "--file=-"] + Self.arguments(sections)
        let output = try tools().runTool("pg_restore", arguments + [directory], environment: settings.childEnvironment, capture: true)
        return String(decoding: output.stdout, as: UTF8.self)
    }

    public func openRestoreConnection(to database: String, settings statements: [String]) throws -> RestoreConnection {
        let connection = try connect(database)
        for statement in statements {
            do {
                try connection.query(statement)
            } catch let error as ServerError {
                throw DPMError.database("Cannot prepare a session in \(database) for loading data (\(statement)): \(error.message).", sqlState: error.code)
            }
        }
        return SessionConnection(connection: connection)
    }

    /// pg_restore's options for restoring or listing only these sections (none: all of them).
    private static func arguments(_ sections: [DumpSection]) -> [String] {
        sections.map { "--section=\($0.rawValue)" }
    }

    public func applyMigration(_ path: String, record: String, in database: String) throws {
        try runMigration(path, ["--single-transaction", "--file=\(path)", "--command=\(record)"], in: database)
    }

    public func runMigrationWithoutTransaction(_ path: String, in database: String) throws {
        try runMigration(path, ["--set=AUTOCOMMIT=on", "--file=\(path)"], in: database)
    }

    /// A failure of psql is told in PostgreSQL's words (psql's last lines), with what they say
    /// about the script read once, here.
    private func runMigration(_ path: String, _ arguments: [String], in database: String) throws {
        do {
            try withClient(database) { dbArgument, environment in
                try tools().runTool("psql", ["--no-psqlrc", "--quiet", "--set=ON_ERROR_STOP=1"] + arguments + [dbArgument],
                                    environment: environment)
            }
        } catch let error as DPMError {
            guard let failure = error.tool else { throw error }
            throw DPMError.toolFailed(failure.with(script: PsqlOutput.problem(in: failure, script: path)), failure.output)
        }
    }

    public func runCommand(_ command: String, for database: String, in directory: String) throws {
        let target = settings.with(database: database)
        var environment = target.childEnvironment
        environment["PGHOST"] = target.host
        environment["PGPORT"] = target.port
        environment["PGDATABASE"] = database
        environment["PGUSER"] = target.user
        environment["DATABASE_URL"] = target.uri
        let secrets = try ClientSecrets(target.toolSecrets)
        defer { secrets?.remove() }
        if let secrets {
            environment["PGSERVICEFILE"] = secrets.path
            environment["PGSERVICE"] = ClientSecrets.service
        }
        let log = FileManager.default.temporaryDirectory.appendingPathComponent(ScratchNames.make("command") + ".log")
        _ = FileManager.default.createFile(atPath: log.path, contents: nil, attributes: [.posixPermissions: 0o600])
        defer { try? FileManager.default.removeItem(at: log) }
        let output = try FileHandle(forWritingTo: log)
        let process = Process()
        let launch = DyingWithParent.command("/bin/sh", ["-c", command])
        process.executableURL = URL(fileURLWithPath: launch.executable)
        process.arguments = launch.arguments
        process.currentDirectoryURL = URL(fileURLWithPath: directory)
        process.environment = environment
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = output
        process.standardError = output
        do {
            try process.run()
        } catch {
            throw DPMError.system("Cannot start the migration command \"\(command)\": \(SystemErrorText.reason(error)).")
        }
        process.waitUntilExit()
        try? output.close()
        guard process.terminationReason == .exit, process.terminationStatus == 0 else {
            let text = String(decoding: (try? Data(contentsOf: log)) ?? Data(), as: UTF8.self)
            let failure = ToolFailure(tool: command, status: ToolFailure.Status(of: process),
                                      lastLines: text.split(whereSeparator: \.isNewline).suffix(5).map(String.init))
            let lines = failure.lastLines.joined(separator: " / ")
            let status = switch failure.status {
            case .exit(let code): "exit code \(code)"
            case .signal(let number): "signal \(number)"
            }
            throw DPMError.toolFailed(failure, "The migration command \"\(command)\" failed with \(status); its last lines: \(lines.isEmpty ? "(no output)" : lines).")
        }
    }

    /// Committed SQL files are data, not scripts: psql runs them in restricted mode (`\restrict`
    /// with a key the file cannot know), so a meta-command such as `\!` in them stops the load
    /// instead of running.
    public func runSQLFile(_ path: String, in database: String) throws {
        let tools = try tools()
        let psql = try tools.locate("psql")
        let version = try psqlVersion.current ?? PsqlVersion(reportedBy: String(decoding: try tools.run(psql, ["--version"], capture: true).stdout, as: UTF8.self))
        psqlVersion.withValue { $0 = version }
        guard version.canRestrict else {
            throw DPMError.invalidInput("\(psql) is version \(version.text), which cannot turn off psql's meta-commands (\\restrict, new in 13.22, 14.19, 15.14, 16.10 and 17.6); dpm loads \(Self.fileName(path)) only with them off, so install a newer postgresql-client or set DPM_PG_BIN to its folder.")
        }
        do {
            try withClient(database) { dbArgument, environment in
                try tools.runTool("psql", ["--no-psqlrc", "--quiet", "--set=ON_ERROR_STOP=1", "--command=\\restrict \(randomSuffix(16))",
                                           "--file=\(path)", dbArgument],
                                  environment: environment)
            }
        } catch let error as DPMError {
            guard let refusal = error.tool.flatMap(PsqlOutput.refusedMetaCommand) else { throw error }
            let line = refusal.line.map { " line \($0)" } ?? ""
            throw DPMError.invalidInput("\(Self.fileName(path))\(line) holds a psql meta-command (a backslash command such as \\! or \\o); dpm loads SQL files with psql's meta-commands turned off, so write the SQL itself instead.")
        }
    }

    private static func fileName(_ path: String) -> String {
        path.split(separator: "/").last.map(String.init) ?? path
    }
}

/// Restores dump entries over one libpq connection.
final class SessionConnection: RestoreConnection {
    private let connection: Connection

    init(connection: Connection) { self.connection = connection }

    func copy(_ statement: String, from produce: (ByteWriter) throws -> Void) throws {
        do {
            try connection.copyIn(statement, from: produce)
        } catch let error as ServerError {
            throw DPMError.database(sentence(error.message), sqlState: error.code)
        }
    }

    func execute(_ sql: String) throws {
        do {
            try connection.execute(sql)
        } catch let error as ServerError {
            throw DPMError.database(sentence(error.message), sqlState: error.code)
        }
    }
}
