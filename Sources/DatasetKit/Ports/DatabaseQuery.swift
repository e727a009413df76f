/// Reads from inside a database: statistics, tracking tables, catalogs.
public protocol DatabaseQuery: Sendable {
    /// Runs a query in `database` and returns its rows as text.
    func query(_ sql: String, parameters: [String?], in database: String) throws -> [[String?]]
}
