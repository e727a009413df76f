/// Opens one connection to a database and keeps it, for work that spans several statements
/// on the same session: a transaction made of several statements, a prepared statement run
/// many times, a session-level advisory lock.
public protocol SQLSessions: Sendable {
    func openSession(in database: String) throws -> SQLSession
}

/// One open connection. Not shared between threads; closed when released.
public protocol SQLSession: AnyObject {
    /// Runs one statement with text parameters (nil for NULL); returns its rows as text.
    @discardableResult
    func query(_ sql: String, parameters: [String?]) throws -> [[String?]]
    /// Parses `sql` (one statement, `$1`… for parameters) as a prepared statement named `name`
    /// without running it, and returns how many parameters it takes. A statement that does not
    /// parse, names something that does not exist, or holds more than one statement fails here
    /// with PostgreSQL's message.
    func prepare(_ name: String, _ sql: String) throws -> Int
    /// Runs the prepared statement `name` with text parameters; returns the rows it changed
    /// (its command tag's count).
    func runPrepared(_ name: String, parameters: [String?]) throws -> Int64
}
