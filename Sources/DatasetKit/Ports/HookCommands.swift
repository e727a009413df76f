/// Runs the project's post-restore hooks (dpm.yaml's `hooks:`) against a database.
public protocol HookCommands: Sendable {
    /// Runs `command` with `sh -c` in `directory`, with PGHOST, PGPORT, PGDATABASE, PGUSER and
    /// DATABASE_URL naming `database` (its secrets passed as to dpm's other client tools, never
    /// in argv) and `environment` added. Its stdout and stderr go to dpm's stderr as they come,
    /// so that dpm's own stdout (`--json`) stays its own. Fails with `.toolFailed`, whose
    /// `ToolFailure` holds the exit status and the last lines it wrote.
    func runHook(_ command: String, for database: String, in directory: String, environment: [String: String]) throws
}
