import ArgumentParser
import DatasetKit
import Foundation

struct UploadCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "upload",
        abstract: "Capture a database (and the media folder) as a new snapshot of a profile and pin it.",
        discussion: """
        Objects are stored first and verified, then the snapshot record, then profiles/<name>/manifest.json \
        (only if no other upload pinned a snapshot meanwhile). Content the store already has intact is not stored again.

        Table patterns follow pg_dump (-t, -T, --exclude-table-data) and add to the ones in profile.yaml.

        A clean profile writes db/migration-base/<name>/schema.sql (pre-data, a "-- dpm:post-data" line, post-data) and \
        data.sql instead of using the store, once they have loaded into a scratch database.

        A profile with a sanitize: section has its rules applied to every row before anything is hashed or stored \
        (DPM_SANITIZE_KEY keys them), refuses columns that look personal and have no rule, and stops before storing \
        anything when an original value of a sanitized column shows up anywhere in the data.

        --from-dump imports an existing pg_dump: a custom-format file, a directory-format folder or a plain SQL \
        file, each file optionally .gz or .zst. It is loaded into a scratch database on the local server, which \
        the upload reads and then drops. Profiles with sanitize.scripts run them on such a scratch copy too.
        """
    )

    @Argument(help: "The profile to capture.")
    var profile: String

    @Option(help: ArgumentHelp("Capture this database instead of the working one (a libpq connection string or URI).", valueName: "conninfo"))
    var from: String?

    @Option(name: .customLong("from-dump"), help: ArgumentHelp("Import this pg_dump file or folder (custom, directory or plain SQL; .gz or .zst) instead of reading a database.", valueName: "path"))
    var fromDump: String?

    @Option(name: .customLong("table"), help: ArgumentHelp("Only tables matching this pg_dump pattern (repeatable).", valueName: "pattern"))
    var tables: [String] = []

    @Option(name: .customLong("exclude-table"), help: ArgumentHelp("Leave out tables matching this pattern (repeatable).", valueName: "pattern"))
    var excludeTables: [String] = []

    @Option(name: .customLong("exclude-table-data"), help: ArgumentHelp("Keep these tables' definitions but not their rows (repeatable).", valueName: "pattern"))
    var excludeTableData: [String] = []

    @Flag(help: "Do not capture the media folder.")
    var noMedia = false

    @Option(name: [.short, .long], help: ArgumentHelp("A message recorded with the snapshot.", valueName: "text"))
    var message: String = ""

    @Option(help: ArgumentHelp("Name the new snapshot with this tag (refused before anything is read if the tag exists; see dpm tag).", valueName: "name"))
    var tag: String?

    @OptionGroup var jobs: JobOptions
    @OptionGroup var output: OutputOptions

    func run() throws {
        let context = try AppContext()
        let name = try context.profileName(profile)
        let tagName = try tag.map(TagName.init)
        if from != nil, fromDump != nil {
            throw DPMError.invalidInput("--from and --from-dump both name what to capture; give one of them.")
        }
        let server = try context.server(conninfo: from)
        let scratch = try context.scratchServer(besides: server, conninfo: from)
        let result = try DatasetKit.Upload(workspace: try context.workspace(), server: server, sanitize: context.settings.sanitize).run(UploadOptions(
            profile: name,
            filters: TableFilters(include: tables, exclude: excludeTables, excludeData: excludeTableData),
            includeMedia: !noMedia, message: message, jobs: jobs.count,
            fromDump: fromDump.map { URL(fileURLWithPath: $0).standardizedFileURL.path }, tag: tagName), scratch: scratch)
        if output.json { return try Terminal.printJSON(result) }
        let time = "in \(String(format: "%.1f", result.seconds)) s"
        let tables = "\(result.tables) table\(result.tables == 1 ? "" : "s"), \(result.rows) row\(result.rows == 1 ? "" : "s")"
        if let files = result.files {
            return print("Wrote \(files.joined(separator: " and ")) for \(result.profile) (\(tables), \(ByteCount.format(result.bytesRead))), "
                + "loaded them into a scratch database to prove they restore, and pinned snapshot \(result.snapshot), \(time).")
        }
        let duplicates = result.duplicates == 0 ? "" : ", \(result.duplicates) with content already in this upload"
        print("Uploaded \(result.profile) snapshot \(result.snapshot)\(result.tag.map { " (tag \($0))" } ?? ""): read \(ByteCount.format(result.bytesRead)), "
            + "stored \(ByteCount.format(result.bytesStored)) new (\(result.objectsStored) objects new, \(result.objectsReused) already in the store\(duplicates)), "
            + "\(tables), \(result.mediaFiles) media files, \(time).")
        if let sanitize = result.sanitize {
            print("Sanitized: \(sanitize.columns) column\(sanitize.columns == 1 ? "" : "s") by rule, \(sanitize.truncated.count) table\(sanitize.truncated.count == 1 ? "" : "s") truncated, "
                + "key \(sanitize.keyFingerprint); the leak check found none of \(sanitize.leakCheck.originals) original values in \(sanitize.leakCheck.fieldsChecked) stored fields.")
        }
    }
}
