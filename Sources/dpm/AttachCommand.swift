import ArgumentParser
import DatasetKit
import Foundation

struct AttachCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "attach",
        abstract: "Restore a profile's snapshot into a database beside the working one and print its URI.",
        discussion: "The working database is not touched. The copy comes from the template cache (restored on first use). Remove it with dpm detach. dpm.yaml's hooks.post_restore commands run when the template is built, per_switch ones on the attached copy; --no-hooks skips them."
    )

    @Argument(help: "The profile to attach.")
    var profile: String

    @Option(name: .customLong("as"), help: ArgumentHelp("Name of the new database (default: <working db>__<profile>).", valueName: "dbname"))
    var name: String?

    @OptionGroup var snapshot: SnapshotOption<AttachAction>

    @OptionGroup var hooks: HooksFlag
    @OptionGroup var migrations: MigrateFlag
    @OptionGroup var jobs: JobOptions
    @OptionGroup var output: OutputOptions

    func run() throws {
        let context = try AppContext()
        var local = try context.localDatabases()
        local.hooks = try hooks.hooks(context)
        let info = try Attachments(local: local).attach(AttachOptions(
            profile: try context.profileName(profile), snapshotID: snapshot.snapshot, name: name, jobs: jobs.count))
        context.startBackgroundRefill()
        if info.kind == .customer {
            Terminal.note("\(info.database) holds a customer's data (\(info.profile ?? profile)): keep it on this machine, and run \"dpm detach \(info.database)\" when you are done.")
        }
        let report = {
            if output.json { return try Terminal.printJSON(info) }
            print(info.uri)
        }
        try hooks.run(local.hooks, .copied, on: info.database, profile: info.profile ?? profile, snapshot: info.snapshot,
                      reportingFirst: report)
        try migrations.followUp(context, database: info.database)
        try report()
    }
}

struct DetachCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "detach", abstract: "Drop attached databases and their media folders.")

    @Argument(help: "Profiles or database names to detach.")
    var targets: [String] = []

    @Flag(help: "Detach every attached database.")
    var all = false

    @Flag(help: "End sessions connected to them.")
    var force = false

    @OptionGroup var output: OutputOptions

    func validate() throws {
        if targets.isEmpty && !all { throw ValidationError("Name what to detach (a profile or database), or use --all.") }
        if !targets.isEmpty && all { throw ValidationError("Give names or --all, not both.") }
    }

    func run() throws {
        let removed = try Attachments(local: try AppContext().localDatabases()).detach(targets, all: all, force: force)
        if output.json { return try Terminal.printJSON(removed) }
        print(removed.isEmpty ? "Nothing is attached." : "Detached \(removed.map(\.database).joined(separator: ", ")).")
    }
}
