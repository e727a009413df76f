import ArgumentParser
import DatasetKit
import Foundation

/// `--no-hooks` for the commands that fill a database (restore, use, attach), and the hooks
/// of dpm.yaml they run.
struct HooksFlag: ParsableArguments {
    @Flag(help: "Do not run dpm.yaml's post_restore hooks.")
    var noHooks = false

    func hooks(_ context: AppContext) throws -> PostRestoreHooks {
        PostRestoreHooks(project: context.project, runner: try context.server(), note: Terminal.note, enabled: !noHooks)
    }

    /// Runs the hooks due at `moment` on `database`; when one fails, the command's summary
    /// `report` comes first (the database was filled either way), then the failure.
    func run(_ hooks: PostRestoreHooks, _ moment: PostRestoreHooks.Moment, on database: String, profile: String, snapshot: String?,
             reportingFirst report: () throws -> Void) throws {
        do {
            try hooks.run(moment, on: database, profile: profile, snapshot: snapshot)
        } catch {
            try report()
            throw error
        }
    }
}
