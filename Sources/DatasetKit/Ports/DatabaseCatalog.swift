import Foundation

/// The databases of one PostgreSQL server as dpm's local workflows change them: create,
/// clone, rename, label (comments), mark as templates, drop, and who is connected. Every
/// database named here is on the same server; `switch`, `undo`, their repairs, the
/// template cache and spare refills need nothing else of the server but this.
public protocol DatabaseCatalog: Sendable {
    /// The database the connection settings name (the working database).
    var defaultDatabase: String { get }

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
}

extension DatabaseCatalog {
    /// Runs `body` with a new empty database beside the working one
    /// (`<db>__dpm_<purpose>_<8 hex>`), dropped afterwards whatever happens; made `like`
    /// the given properties when there are some (`note` hears when the server could not).
    func withScratchDatabase<T>(_ purpose: String, like properties: DatabaseProperties? = nil, note: (String) -> Void = { _ in },
                                _ body: (String) throws -> T) throws -> T {
        let name = DatabaseNames.temporary(beside: defaultDatabase, purpose: purpose)
        if let fallback = try createDatabase(name, like: properties) { note(fallback.note(for: name)) }
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
