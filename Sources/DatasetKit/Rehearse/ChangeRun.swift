import Foundation

/// Runs the change once in a scratch database, as it would run for real: a failure of the
/// change is a finding of the rehearsal (returned), not an error of dpm.
struct ChangeRun {
    let server: SQLRunner & SQLSessions
    let project: Project
    let note: @Sendable (String) -> Void

    struct Outcome {
        var failure: RehearsalFailure?
        var transform: TransformResult?
        /// The relation locks the file's transaction held just before its commit (all it took:
        /// PostgreSQL keeps them to the end), for a SQL file run in one transaction.
        var locksAtCommit: [LockSampler.Held] = []
    }

    static let lockMarker = "dpm-lock|"

    /// The transaction's own relation locks, one marked line each.
    static let locksAtCommitQuery = "SELECT '\(lockMarker)' || l.relation::text || '|' || coalesce(n.nspname || '.' || c.relname, '') || '|' || l.mode "
        + "FROM pg_locks l LEFT JOIN pg_class c ON c.oid = l.relation LEFT JOIN pg_namespace n ON n.oid = c.relnamespace "
        + "WHERE l.pid = pg_backend_pid() AND l.locktype = 'relation' AND l.granted "
        + "AND coalesce(n.nspname, '') NOT IN ('pg_catalog', 'information_schema', 'pg_toast') "
        + "AND coalesce(c.relkind::text, 'r') IN ('r', 'p', 'm')"

    func run(_ change: RehearsalChange, in database: String) throws -> Outcome {
        switch change {
        case .sqlFile(let path, let file, let script):
            do {
                switch script.mode {
                case .transaction:
                    let lines = try server.runFileInOneTransaction(path, finalQuery: Self.locksAtCommitQuery, marker: Self.lockMarker, in: database)
                    return Outcome(locksAtCommit: lines.compactMap(Self.held))
                case .noTransaction:
                    try server.runMigrationWithoutTransaction(path, in: database)
                    return Outcome()
                }
            } catch let error as DPMError where error.tool != nil {
                return Outcome(failure: Self.failure(error, file: file, script: script))
            }
        case .transform(let path, let file, _):
            do {
                let result = try Transform(project: project, sessions: server, note: note)
                    .run(path, in: database, options: TransformOptions(), progress: nil)
                return Outcome(transform: result)
            } catch let error as DPMError where !Self.dpmsOwn.contains(error.kind) {
                return Outcome(failure: RehearsalFailure(file: file, message: error.message))
            }
        case .command(let command):
            do {
                try server.runCommand(command, for: database, in: project.root)
                return Outcome()
            } catch let error as DPMError where error.tool != nil {
                let tool = error.tool!
                let status = switch tool.status {
                case .exit(let code): "exit code \(code)"
                case .signal(let number): "signal \(number)"
                }
                let lines = tool.lastLines.joined(separator: " / ")
                return Outcome(failure: RehearsalFailure(message: "The command failed with \(status); its last lines: \(lines.isEmpty ? "(no output)" : lines)."))
            }
        }
    }

    /// "dpm-lock|16384|public.orders|RowExclusiveLock"
    static func held(_ line: String) -> LockSampler.Held? {
        let parts = line.dropFirst(lockMarker.count).split(separator: "|", omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 3, !parts[0].isEmpty, !parts[2].isEmpty else { return nil }
        return LockSampler.Held(oid: parts[0], name: parts[1], mode: parts[2])
    }

    /// Failures of dpm or the machine rather than of the change: they stop the rehearsal.
    static let dpmsOwn: [DPMError.Kind] = [.unreachable, .system, .internal, .interrupted]

    /// psql's report of the failing statement: the file's line where the statement starts, and
    /// PostgreSQL's message.
    static func failure(_ error: DPMError, file: String, script: MigrationScript) -> RehearsalFailure {
        let problem = error.tool?.script
        let reported = problem?.error?.line ?? problem?.line
        let located = reported.flatMap { script.statement(endingAt: $0) }
        let message = problem?.error?.message ?? problem?.text.trimmingCharacters(in: .whitespacesAndNewlines) ?? error.message
        return RehearsalFailure(file: file, line: located?.statement.startLine ?? reported,
                                statement: located?.statement.summary, message: message)
    }
}
