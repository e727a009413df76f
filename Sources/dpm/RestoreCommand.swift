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

        Then dpm.yaml's hooks.post_restore commands run on the restored database (not with --table, nor \
        --no-hooks); their output goes to stderr.

        Media is restored when the target is the working database, or into --media-dir: it is rebuilt in a \
        staging folder beside the media folder and swapped in by rename.

        With --table (and --exclude-table), only the rows of those tables of the snapshot are restored, into the \
        existing database --into names: in one transaction, after checking that its tables have the snapshot's \
        columns, with the foreign keys from and to them checked again; its other tables are left as they are.
        """
    )

    @Argument(help: "The profile to restore.")
    var profile: String

    @OptionGroup var snapshot: SnapshotOption<RestoreAction>

    @Option(help: ArgumentHelp("Restore into this database instead of the working one.", valueName: "dbname"))
    var into: String?

    @Option(name: .customLong("table"), help: ArgumentHelp("Restore only the rows of the tables this matches (schema.table or a name, * and ?), into the existing database --into names; repeatable.", valueName: "pattern"))
    var tables: [String] = []

    @Option(name: .customLong("exclude-table"), help: ArgumentHelp("With --table: leave out the tables this matches; repeatable.", valueName: "pattern"))
    var excludedTables: [String] = []

    @Option(help: ArgumentHelp("Restore media into this folder (a folder, or a path that does not exist yet).", valueName: "dir"))
    var mediaDir: String?

    @Flag(help: "Replace an existing database and media folder.")
    var force = false

    @OptionGroup var hooks: HooksFlag
    @OptionGroup var migrations: MigrateFlag
    @OptionGroup var jobs: JobOptions
    @OptionGroup var output: OutputOptions

    func run() throws {
        let context = try AppContext()
        let name = try context.profileName(profile)
        if !tables.isEmpty || !excludedTables.isEmpty { return try restoreTables(context, name) }
        let result = try DatasetKit.Restore(workspace: try context.workspace(), server: try context.server()).run(RestoreOptions(
            profile: name, snapshotID: snapshot.snapshot, database: into, mediaDirectory: mediaDir, force: force, jobs: jobs.count))
        let report = {
            if output.json { return try Terminal.printJSON(result) }
            var line = "Restored \(result.profile)\(result.snapshot.map { " snapshot \($0)" } ?? "") into \(result.database): "
                + "\(result.tables) tables, \(result.rows) rows, \(ByteCount.format(result.bytes))"
            if let media = result.mediaDirectory { line += ", \(result.mediaFiles) media files into \(media)" }
            print(line + ", in \(String(format: "%.1f", result.seconds)) s.")
        }
        try hooks.run(try hooks.hooks(context), .restored, on: result.database, profile: result.profile, snapshot: result.snapshot,
                      reportingFirst: report)
        try migrations.followUp(context, database: result.database, thenReport: report)
    }

    /// `--table`: the rows of chosen tables, into an existing database.
    private func restoreTables(_ context: AppContext, _ name: ProfileName) throws {
        if tables.isEmpty { throw DPMError.invalidInput("--exclude-table only narrows --table; name the tables to restore with --table.") }
        if force { throw DPMError.invalidInput("--table replaces rows of an existing database in one transaction, so --force does not apply; leave it out.") }
        if mediaDir != nil { throw DPMError.invalidInput("--table restores table rows only, never media, so --media-dir does not apply; leave it out.") }
        if migrations.migrate { throw DPMError.invalidInput("--table keeps the database's schema as it is, so --migrate does not apply; leave it out.") }
        if hooks.noHooks { throw DPMError.invalidInput("--table replaces rows of chosen tables and runs no post_restore hooks, so --no-hooks does not apply; leave it out.") }
        guard let into else {
            throw DPMError.invalidInput("--table needs --into DBNAME, the existing database whose tables are replaced (the working database is \(try context.server().defaultDatabase)).")
        }
        let result = try TableRestore(workspace: try context.workspace(), server: try context.server()).run(TableRestoreOptions(
            profile: name, snapshotID: snapshot.snapshot, database: into, tables: tables, excludedTables: excludedTables))
        if output.json { return try Terminal.printJSON(result) }
        let each = result.tables.map { "\($0.table) \($0.rows) rows" }.joined(separator: ", ")
        var line = "Restored \(result.tables.count) table\(result.tables.count == 1 ? "" : "s") of \(result.profile) snapshot \(result.snapshot) "
            + "into \(result.database) (\(each)): \(result.rows) rows, \(ByteCount.format(result.bytes))"
        if !result.foreignKeys.isEmpty { line += ", \(result.foreignKeys.count) foreign key\(result.foreignKeys.count == 1 ? "" : "s") checked" }
        if !result.sequences.isEmpty { line += ", \(result.sequences.count) sequence\(result.sequences.count == 1 ? "" : "s") set" }
        print(line + ", in \(String(format: "%.1f", result.seconds)) s.")
    }
}
