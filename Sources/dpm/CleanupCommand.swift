import ArgumentParser
import DatasetKit
import Foundation

struct CleanupCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cleanup",
        abstract: "Remove what killed dpm commands left: databases, scratch folders and partial objects.",
        discussion: """
        First finishes or rolls back a restore or switch that was interrupted. Then drops this project's \
        databases that dpm was building or retiring (a partial restore, the previous content that restore --force \
        replaced, scratch and spare copies), and removes scratch folders in TMPDIR and partial objects in the store's \
        .tmp folder and the download cache whose dpm process is gone. It holds the project lock, so nothing a running \
        dpm of this project uses is touched, and it never drops a database that may be the only copy of anything \
        (a working database's content that an interrupted restore left under another name is renamed back instead).
        """
    )

    @Flag(help: "List what would be removed, and remove nothing (an interrupted restore is still finished or rolled back first, as every command does).")
    var dryRun = false

    @OptionGroup var output: OutputOptions

    func run() throws {
        let context = try AppContext()
        let result = try Cleanup(local: try context.localDatabases(), extraPartials: context.cachePartials).run(dryRun: dryRun)
        if output.json { return try Terminal.printJSON(result) }
        let verb = dryRun ? "Would remove" : "Removed"
        for item in result.removed { print("\(verb): \(LeftoverReport.line(item))") }
        for item in result.kept { print("Kept:    \(LeftoverReport.line(item)): \(item.advice ?? "")") }
        for item in result.failed { Terminal.note("Could not remove \(LeftoverReport.line(item)): \(item.advice ?? "")") }
        if result.removed.isEmpty, result.kept.isEmpty, result.failed.isEmpty { print("Nothing to clean up.") }
        if !result.failed.isEmpty { throw ExitCode(1) }
    }
}
