import Foundation

/// Runs a migration file without a wrapping transaction (see `MigrationScript`): psql runs
/// it statement by statement, stopping at the first error, and the version is recorded only
/// after the whole file succeeded. A failure cannot be rolled back, so it is reported as
/// "may be partly applied", naming the failing statement and what ran before it. dpm does not
/// guess on a later run how far an earlier one got: the file runs again from its start, so
/// such files are written to be safe to run again (IF NOT EXISTS), as with Rails'
/// disable_ddl_transaction! or dbmate's transaction:false.
struct NoTransactionRun {
    let server: DatabaseQuery & SQLRunner
    let file: MigrationFile
    let script: MigrationScript
    /// Why it runs without a wrapping transaction.
    let reason: String
    /// How many files this run applied (and recorded) before this one.
    let appliedBefore: Int

    func run(path: String, record: String, in database: String) throws {
        do {
            try server.runMigrationWithoutTransaction(path, in: database)
        } catch {
            throw failure(DPMError(reporting: error), path: path)
        }
        do {
            _ = try server.query(record, parameters: [], in: database)
        } catch {
            throw DPMError(reporting: error).rephrased("The migration \(file.path) ran (without a wrapping transaction) but recording it failed: \(error.userMessage.trimmingCharacters(in: CharacterSet(charactersIn: "."))); run \(record) in \(database) so that it does not run again.")
        }
    }

    /// psql's failure (the line of the script it names, what it says there) as a sentence
    /// that names the statement.
    private func failure(_ error: DPMError, path: String) -> DPMError {
        let said = error.tool?.script
        let line = said?.line
        // Further mentions of the file name it as the project does.
        let problem = (said?.text ?? error.message).replacingOccurrences(of: "psql:\(path):", with: "\(file.path):")
            .trimmingCharacters(in: CharacterSet(charactersIn: ". "))
        let located = line.flatMap { script.statement(endingAt: $0) }
        var location = line.map { " at line \($0)" } ?? ""
        var done = "what the statements before it committed stays"
        if let located {
            location = " at line \(located.statement.startLine) (\(located.statement.summary))"
            let undone = script.firstUndoneLine(failing: located.index)
            let firstLine = script.statements.first?.startLine ?? located.statement.startLine
            done = undone <= firstLine
                ? "nothing before it was committed"
                : "what the statements before line \(undone) committed stays"
        }
        let earlier = appliedBefore == 0 ? "" : " (the \(appliedBefore) migration\(appliedBefore == 1 ? "" : "s") before it \(appliedBefore == 1 ? "is" : "are") applied and recorded)"
        let again = said?.causes.contains(.alreadyExists) == true
            ? "; if an earlier run of this file stopped partway, this may be what that run applied"
            : ""
        return error.rephrased("The migration \(file.path) failed\(location): \(problem); it ran without a wrapping transaction (\(reason)), so it may be partly applied: \(done), and its version is not recorded\(earlier)\(again); make the file safe to run again on this database (IF NOT EXISTS) or undo what it applied, then run dpm migrate again.")
    }
}
