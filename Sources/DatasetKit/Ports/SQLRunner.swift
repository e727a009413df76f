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
    /// Runs a SQL file in a single transaction (psql --single-transaction), stopping at the
    /// first error with PostgreSQL's message and the file's line; nothing of it stays then.
    func runFileInOneTransaction(_ path: String, in database: String) throws
    /// Runs a project's own command (`sh -c`) in `directory` with PGHOST, PGPORT, PGDATABASE,
    /// PGUSER and DATABASE_URL naming `database`; fails with its exit code and last lines.
    func runCommand(_ command: String, for database: String, in directory: String) throws
}
