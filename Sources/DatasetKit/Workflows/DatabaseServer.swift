import Foundation

/// A PostgreSQL server as the workflows need it. The Postgres module implements it
/// over libpq and the client tools; every database named here is on the same server.
public protocol DatabaseServer: Sendable {
    /// Host, port and user for messages; never a password.
    var displayName: String { get }
    /// The database the connection settings name (the working database).
    var defaultDatabase: String { get }

    func serverVersion() throws -> ServerVersion
    func databaseExists(_ name: String) throws -> Bool
    /// Names of the databases matching a POSIX regular expression, sorted.
    func databaseNames(matching pattern: String) throws -> [String]
    func createDatabase(_ name: String) throws
    /// Creates an empty database with `properties` (encoding, collation); when the server
    /// cannot (it lacks the locale), creates the closest it can and says what it used instead.
    /// Settings and comment are not applied here.
    func createDatabase(_ name: String, like properties: DatabaseProperties?) throws -> DatabaseFallback?
    /// Encoding, collation, `ALTER DATABASE … SET` settings and comment (never a dpm label).
    func properties(of database: String) throws -> DatabaseProperties
    /// Applies `ALTER DATABASE … SET` settings ("name=value"); returns the ones the server refused, with its reason.
    func applySettings(_ settings: [String], to database: String) throws -> [String]
    func setComment(_ comment: String?, on database: String) throws
    func renameDatabase(_ name: String, to newName: String) throws
    func dropDatabase(_ name: String) throws
    /// Ends every other session connected to `name`.
    func terminateConnections(to name: String) throws
    /// Runs a query in `database` and returns its rows as text.
    func query(_ sql: String, parameters: [String?], in database: String) throws -> [[String?]]

    /// `pg_dump --schema-only` as plain SQL (not yet normalized).
    func dumpSchema(of database: String, filters: TableFilters) throws -> String
    /// `pg_dump --data-only` as plain SQL, for profiles whose data lives in git.
    func dumpDataSQL(of database: String, filters: TableFilters) throws -> String
    /// `pg_dump -Fd -Z0 -j jobs` into `directory` (which must not exist yet).
    func dumpDirectory(of database: String, to directory: String, jobs: Int, filters: TableFilters) throws
    /// The table of contents of a dump directory (`pg_restore --list`), limited to `sections`
    /// (all when empty); `verbose` adds each entry's dependencies.
    func listDirectory(_ directory: String, sections: [DumpSection], verbose: Bool) throws -> String
    /// `pg_restore --jobs` of a dump directory into an existing database, without owners and
    /// privileges, limited to `sections` (all when empty) and to the entries of `listFile`.
    func restoreDirectory(_ directory: String, into database: String, jobs: Int, sections: [DumpSection], listFile: String?) throws
    /// `pg_restore --file=-` of the entries of `listFile` in `sections`: the SQL pg_restore would run.
    func restoreScript(of directory: String, sections: [DumpSection], listFile: String) throws -> String
    /// A connection to `database` for restoring dump entries, after running `settings`.
    func openRestoreConnection(to database: String, settings: [String]) throws -> RestoreConnection
    /// Runs a plain SQL file with psql, stopping at the first error.
    func runSQLFile(_ path: String, in database: String) throws

    /// Runs one migration file and `record` (the row that records it) in a single
    /// transaction, stopping at the first error with PostgreSQL's message and position.
    func applyMigration(_ path: String, record: String, in database: String) throws
    /// Runs one migration file statement by statement, without a wrapping transaction (each
    /// statement commits on its own, or as the file's own BEGIN/COMMIT say), stopping at the
    /// first error with PostgreSQL's message and the file's line.
    func runMigrationWithoutTransaction(_ path: String, in database: String) throws
    /// Runs a project's own command (`sh -c`) in `directory` with PGHOST, PGPORT, PGDATABASE,
    /// PGUSER and DATABASE_URL naming `database`; fails with its exit code and last lines.
    func runCommand(_ command: String, for database: String, in directory: String) throws

    /// The databases named `exactly`, matching `pattern` (POSIX regex) or carrying a dpm
    /// label ("dpm {" comment), with their comments.
    func catalog(named exactly: String, orMatching pattern: String) throws -> [DatabaseEntry]
    func databaseSize(_ name: String) throws -> Int64
    /// `CREATE DATABASE name TEMPLATE template` with the file-copy strategy.
    func cloneDatabase(from template: String, to name: String) throws
    /// Marks a database as a template closed to connections, or back.
    func setTemplate(_ name: String, _ isTemplate: Bool) throws
    /// Applies renames and comments in one transaction: all of them or none.
    /// `afterEach` runs inside the transaction after each change (crash tests stop there).
    func applyAtomically(_ changes: [CatalogChange], afterEach: (Int) throws -> Void) throws
    /// The other sessions connected to `database`.
    func sessions(on database: String) throws -> [DatabaseSession]
    /// Whether another session is running a statement that names `name` (a CREATE or DROP
    /// a killed client sent finishes on the server after the client is gone).
    func isBusy(with name: String) throws -> Bool
    /// The connecting role's name and whether it may create databases (CREATEDB or superuser).
    func createPrivilege() throws -> (role: String, allowed: Bool)
    /// A `postgresql://` URI for `database` that an application can use (no password).
    func connectionURI(for database: String) -> String
    /// `-h host -p port -U user` for the client tools, so that a command dpm prints works as printed.
    var commandLineOptions: [String] { get }
}

/// The parts of a dump pg_restore can restore one at a time.
public enum DumpSection: String, Sendable {
    case preData = "pre-data", data, postData = "post-data"
}

/// One connection that restores dump entries; used by one thread at a time.
public protocol RestoreConnection: AnyObject {
    /// Runs `statement`, a `COPY ... FROM stdin`, with the bytes `produce` writes as its data.
    /// When `produce` throws, nothing of this COPY stays and the error is rethrown.
    func copy(_ statement: String, from produce: (ByteWriter) throws -> Void) throws
    /// Runs SQL text of one or more statements, as psql would a file.
    func execute(_ sql: String) throws
}

extension DatabaseServer {
    func listDirectory(_ directory: String) throws -> String {
        try listDirectory(directory, sections: [], verbose: false)
    }

    /// Runs `body` with a new empty database beside the working one
    /// (`<db>__dpm_<purpose>_<8 hex>`), dropped afterwards whatever happens.
    func withScratchDatabase<T>(_ purpose: String, _ body: (String) throws -> T) throws -> T {
        let name = DatabaseNames.temporary(beside: defaultDatabase, purpose: purpose)
        try createDatabase(name)
        defer { try? dropDatabase(name) }
        // The owner lets dpm cleanup tell a scratch database of a killed command from one in use.
        let label = DatabaseLabel(role: .scratch, working: defaultDatabase, since: Timestamp.precise(Date()),
                                  owner: "\(ProcessInfo.processInfo.hostName):\(getpid())")
        try applyAtomically([.comment(on: name, label.commentText)], afterEach: { _ in })
        return try body(name)
    }
}

/// One database of the server as dpm's local catalog sees it.
public struct DatabaseEntry: Sendable, Equatable {
    public var name: String
    /// The `COMMENT ON DATABASE` text, where dpm keeps its label.
    public var comment: String?
    public var isTemplate: Bool

    public init(name: String, comment: String?, isTemplate: Bool) {
        self.name = name
        self.comment = comment
        self.isTemplate = isTemplate
    }
}

public enum CatalogChange: Sendable, Equatable {
    case rename(String, to: String)
    case comment(on: String, String?)
}

/// A session connected to a database, for messages that name who holds it open.
public struct DatabaseSession: Sendable, Equatable, Codable {
    public var pid: Int
    public var user: String
    public var application: String
    public var client: String

    public init(pid: Int, user: String, application: String, client: String) {
        self.pid = pid
        self.user = user
        self.application = application
        self.client = client
    }

    public var summary: String {
        "pid \(pid) \(application.isEmpty ? "(no application name)" : application) from \(client) as \(user)"
    }
}

public struct ServerVersion: Sendable, Equatable {
    /// e.g. 150020
    public let number: Int
    /// e.g. "15.20 (Debian 15.20-0+deb12u1)"
    public let text: String

    public init(number: Int, text: String) {
        self.number = number
        self.text = text
    }

    public var major: Int { number / 10000 }
}
