import Foundation

/// pg_dump and pg_restore, and the connection that loads a dump's entries.
public protocol DumpTools: Sendable {
    /// `pg_dump --schema-only` as plain SQL (not yet normalized), in `snapshot` when given.
    func dumpSchema(of database: String, filters: TableFilters, snapshot: String?) throws -> String
    /// `pg_dump --data-only` as plain SQL, for profiles whose data lives in git.
    func dumpDataSQL(of database: String, filters: TableFilters) throws -> String
    /// `pg_dump -Fd -Z0 -j jobs` into `directory` (which must not exist yet).
    func dumpDirectory(of database: String, to directory: String, jobs: Int, filters: TableFilters) throws
    /// `pg_dump -Fc -Z0` of the database, handed to `consume` as a stream while pg_dump writes it:
    /// nothing of it lands on disk. pg_dump's failure is thrown even when `consume` failed on
    /// the stream it cut short. `dataOnly`: the table data alone; `snapshot`: read in that
    /// exported snapshot (`exportSnapshot`).
    func streamArchive(of database: String, filters: TableFilters, dataOnly: Bool, snapshot: String?,
                       into consume: (ByteReader) throws -> Void) throws
    /// A snapshot of `database` that several pg_dump runs can read together, held until released.
    func exportSnapshot(of database: String) throws -> HeldSnapshot
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
}

extension DumpTools {
    func listDirectory(_ directory: String) throws -> String {
        try listDirectory(directory, sections: [], verbose: false)
    }

    func dumpSchema(of database: String, filters: TableFilters) throws -> String {
        try dumpSchema(of: database, filters: filters, snapshot: nil)
    }
}

/// A snapshot exported by a transaction of its own (`pg_export_snapshot()`), which stays open
/// until `release()`: every pg_dump given its name reads exactly the data it saw.
public protocol HeldSnapshot: AnyObject {
    /// What pg_dump's `--snapshot` takes.
    var name: String { get }
    /// Ends the transaction that holds it; later pg_dump runs can no longer use it.
    func release()
}

/// The parts of a dump pg_restore can restore one at a time.
public enum DumpSection: String, Sendable {
    case preData = "pre-data", data, postData = "post-data"
}

/// One connection that restores dump entries; used by one thread at a time.
public protocol RestoreConnection: AnyObject {
    /// Runs `statement`, a `COPY ... FROM stdin`, with the bytes `produce` writes as its data;
    /// returns the rows the server loaded. When `produce` throws, nothing of this COPY stays
    /// and the error is rethrown.
    @discardableResult
    func copy(_ statement: String, from produce: (ByteWriter) throws -> Void) throws -> Int64
    /// Runs SQL text of one or more statements, as psql would a file.
    func execute(_ sql: String) throws
    /// Runs one statement with text parameters in this session (inside its transaction, if
    /// one is open); returns the rows as text.
    func query(_ sql: String, parameters: [String?]) throws -> [[String?]]
}
