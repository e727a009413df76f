import ArgumentParser
import DatasetKit
import Foundation

struct RehearseCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rehearse",
        abstract: "Try a data change on a clone of each profile's data, and report what it did.",
        discussion: """
        Each profile's cached template (restored first if needed) is cloned into a scratch database, and the change runs \
        there: a SQL file in one transaction (or statement by statement if it has the line "-- dpm:no-transaction" or \
        controls its own transactions), a "-- dpm:batch" file as dpm transform runs it, or --command through sh -c with \
        PGHOST, PGPORT, PGDATABASE, PGUSER and DATABASE_URL naming the clone. The report gives, per profile: the wall time; \
        the failure (file, line, PostgreSQL's message); rows inserted, updated and deleted per table (PostgreSQL's \
        statistics of the clone, read after the change's sessions ended); the locks the change held on each table, sampled \
        from pg_locks every 50 ms, and for how long; the schema's diff; for a transform, its time on the snapshot's full \
        table. The working database is never touched. The clone is dropped, unless --keep leaves it attached (remove it \
        with dpm detach). The exit status is 1 when the change failed on a profile.
        """
    )

    @Argument(help: ArgumentHelp("The SQL file to rehearse (e.g. db/fixes/orders.sql or db/transforms/….sql).", valueName: "file"))
    var file: String?

    @Option(help: ArgumentHelp("Run this command instead of a SQL file, through sh -c in the project folder.", valueName: "command"))
    var command: String?

    @Option(name: .customLong("on"), help: ArgumentHelp("A profile to rehearse on (repeatable; default: every profile with a snapshot).", valueName: "profile"))
    var profiles: [String] = []

    @Flag(help: "Keep each clone, attached beside the working database, and print its URI.")
    var keep = false

    @OptionGroup var output: OutputOptions

    func validate() throws {
        if file != nil && command != nil { throw ValidationError("Give a SQL file or --command, not both.") }
        if file == nil && command == nil { throw ValidationError("Give the SQL file to rehearse, or --command \"…\".") }
    }

    func run() throws {
        let context = try AppContext()
        let names = try profiles.map(context.profileName)
        let change: RehearsalChange
        if let file {
            let path = FilePath.isAbsolute(file) ? file : FilePath.join(FileManager.default.currentDirectoryPath, file)
            change = try RehearsalChange.file(path, named: file)
        } else {
            change = try RehearsalChange.command(command ?? "", path: ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin",
                                                 directory: context.project.root)
        }
        let report = try Rehearsal(local: try context.localDatabases(), server: try context.server())
            .run(RehearsalOptions(change: change, profiles: names, keep: keep))
        if output.json {
            try Terminal.printJSON(report)
        } else {
            print(RehearsalText.report(report))
        }
        if report.failed { throw ExitCode.failure }
    }
}
