/// Runs SQL files, migrations and a project's own migration command against a database.
public protocol SQLRunner: Sendable {
    /// Runs a plain SQL file with psql, stopping at the first error.
    func runSQLFile(_ path: String, in database: String) throws
    /// Runs a plain-format dump (pg_dump -Fp) read from `source` with psql, stopping at the
    /// first error; the dump's own `\restrict` line is what keeps its data from running
    /// meta-commands. A failure carries psql's `ScriptProblem` (the line in the dump).
    func runDumpScript(from source: ByteReader, in database: String) throws
    /// Runs one migration file and `record` (the row that records it) in a single
    /// transaction, stopping at the first error with PostgreSQL's message and position.
    func applyMigration(_ path: String, record: String, in database: String) throws
    /// Runs one migration file statement by statement, without a wrapping transaction (each
    /// statement commits on its own, or as the file's own BEGIN/COMMIT say), stopping at the
    /// first error with PostgreSQL's message and the file's line.
    func runMigrationWithoutTransaction(_ path: String, in database: String) throws
    /// Runs a SQL file and then `finalQuery` in a single transaction (psql --single-transaction,
    /// rows unaligned without headers), stopping at the first error with PostgreSQL's message
    /// and the file's line (nothing of it stays then). Returns the lines of the output that
    /// start with `marker` (the final query's, read as a stream; the file's own output is skipped).
    func runFileInOneTransaction(_ path: String, finalQuery: String, marker: String, in database: String) throws -> [String]
    /// Runs a project's own command (`sh -c`) in `directory` with PGHOST, PGPORT, PGDATABASE,
    /// PGUSER and DATABASE_URL naming `database`; fails with its exit code and last lines.
    func runCommand(_ command: String, for database: String, in directory: String) throws
}
