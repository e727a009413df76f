/// Reads connection strings as libpq does; the Postgres module implements it with libpq's
/// own parser (the domain imports no C).
public protocol ConnectionStringReader: Sendable {
    /// The keywords that `conninfo` sets to a non-empty secret (password, sslpassword, ...),
    /// or nil when libpq cannot parse it.
    func secretKeywords(in conninfo: String) -> [String]?
}
