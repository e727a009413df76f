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
    /// The table of contents of a dump directory (`pg_restore -l`).
    func listDirectory(_ directory: String) throws -> String
    /// `pg_restore -j jobs` of a dump directory into an existing empty database.
    func restoreDirectory(_ directory: String, into database: String, jobs: Int) throws
    /// Runs a plain SQL file with psql, stopping at the first error.
    func runSQLFile(_ path: String, in database: String) throws
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
