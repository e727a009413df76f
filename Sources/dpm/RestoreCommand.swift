import ArgumentParser
import DatasetKit
import Foundation

struct RestoreCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "restore",
        abstract: "Restore a profile's snapshot into a database (and the media folder).",
        discussion: """
        Every object is verified against its SHA-256 while streaming. The data is restored into a new temporary \
        database and renamed to the target only when complete; an existing target is replaced only with --force: \
        it is renamed aside and the new one takes its name in one transaction, and it is dropped only after the new \
        one (and its media) is in place. If the media cannot be swapped in, the old database is swapped back.

        Media is restored when the target is the working database, or into --media-dir: it is rebuilt in a \
        staging folder beside the media folder and swapped in by rename.
        """
    )

    @Argument(help: "The profile to restore.")
    var profile: String

    @OptionGroup var snapshot: SnapshotOption<RestoreAction>

    @Option(help: ArgumentHelp("Restore into this database instead of the working one.", valueName: "dbname"))
    var into: String?

    @Option(help: ArgumentHelp("Restore media into this folder (a folder, or a path that does not exist yet).", valueName: "dir"))
    var mediaDir: String?

    @Flag(help: "Replace an existing database and media folder.")
    var force = false

    @OptionGroup var migrations: MigrateFlag
    @OptionGroup var jobs: JobOptions
    @OptionGroup var output: OutputOptions

    func run() throws {
        let context = try AppContext()
        let name = try context.profileName(profile)
        let result = try DatasetKit.Restore(workspace: try context.workspace(), server: try context.server()).run(RestoreOptions(
            profile: name, snapshotID: snapshot.snapshot, database: into, mediaDirectory: mediaDir, force: force, jobs: jobs.count))
        try migrations.followUp(context, database: result.database) {
            if output.json { return try Terminal.printJSON(result) }
            var line = "Restored \(result.profile)\(result.snapshot.map { " snapshot \($0)" } ?? "") into \(result.database): "
                + "\(result.tables) tables, \(result.rows) rows, \(ByteCount.format(result.bytes))"
            if let media = result.mediaDirectory { line += ", \(result.mediaFiles) media files into \(media)" }
            print(line + ", in \(String(format: "%.1f", result.seconds)) s.")
        }
    }
}
