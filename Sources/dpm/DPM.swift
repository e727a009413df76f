import ArgumentParser
import DatasetKit
import Foundation

struct DPM: ParsableCommand {
    static let version = "0.1.0"

    static let configuration = CommandConfiguration(
        commandName: "dpm",
        abstract: "Keep named PostgreSQL datasets (schema, data, media) as manifests in git, backed by a deduplicated store.",
        discussion: """
        dpm works in the project whose dpm.yaml it finds in the current folder or above. \
        DPM_DATABASE_URL and DPM_STORE override the database and store settings.
        """,
        version: version,
        subcommands: [Init.self, ProfileCommand.self, Upload.self, Restore.self, Use.self, Undo.self, StashCommand.self,
                      Attach.self, Detach.self, CacheCommand.self, Migrate.self, MigrationsCommand.self, SquashCommand.self, Status.self, CleanupCommand.self]
    )
}

/// Options shared by commands that print something a script may read.
struct OutputOptions: ParsableArguments {
    @Flag(help: "Print the result as JSON on stdout.")
    var json = false
}

/// Options shared by commands that move data.
struct JobOptions: ParsableArguments {
    @Option(name: [.customShort("j"), .long], help: ArgumentHelp("Parallel jobs for pg_dump/pg_restore and transfers (default: the number of cores).", valueName: "n"))
    var jobs: Int?

    var count: Int { jobs ?? ProcessInfo.processInfo.activeProcessorCount }

    func validate() throws {
        if let jobs, !(1...64).contains(jobs) { throw ValidationError("--jobs must be between 1 and 64.") }
    }
}
