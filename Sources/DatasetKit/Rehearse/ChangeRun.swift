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
    }

    func run(_ change: RehearsalChange, in database: String) throws -> Outcome {
        switch change {
        case .sqlFile(let path, let file, let script):
            do {
                switch script.mode {
                case .transaction: try server.runFileInOneTransaction(path, in: database)
                case .noTransaction: try server.runMigrationWithoutTransaction(path, in: database)
                }
                return Outcome()
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
