import ArgumentParser
import DatasetKit
import Foundation

struct DiffCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "diff",
        abstract: "Compare two snapshots, or a snapshot and the working database: schema, tables, media, migrations.",
        usage: "dpm diff A B [--json] [--jobs <n>]",
        discussion: """
        Each side is PROFILE (the snapshot its manifest pins), PROFILE@SNAPSHOT (an id or its unique beginning), \
        PROFILE@TAG, or --working (the working database named in dpm.yaml and the media folder, as they are now). \
        A is the side compared from ("-" in the output), B the side compared to ("+").

        The summary comes first: schema lines changed, tables added, removed and changed (+a -r ~c), media files \
        likewise, and migration versions applied on one side only; then the tables and media files that differ, \
        with rows and bytes on each side; then the schema as a unified diff. A table or media file has changed \
        when its content's object id differs (for media, or its permission bits). --working is measured as an \
        upload would measure it, without storing anything: pg_dump of the working database into a scratch folder, \
        through the filters of the other side's snapshot, each table's rows counted and its data hashed.

        The exit status is 0 whether or not the sides differ (like git diff without --exit-code); a script reads \
        "identical" from --json.
        """
    )

    @Argument(parsing: .allUnrecognized,
              help: ArgumentHelp("The two sides: PROFILE, PROFILE@SNAPSHOT, PROFILE@TAG or --working.", valueName: "side"))
    var sides: [String] = []

    @OptionGroup var jobs: JobOptions

    @OptionGroup var output: OutputOptions

    func run() throws {
        let (before, after) = try DiffSide.pair(sides)
        let context = try AppContext()
        let server = [before, after].contains(.working) ? try context.server() : nil
        let report = try SnapshotDiff(workspace: try context.workspace(), server: server, jobs: jobs.count).compare(before, after)
        if output.json { return try Terminal.printJSON(report) }
        DiffText.print(report)
    }
}

/// `dpm diff` as text: the summary, what differs, then the schema's unified diff.
enum DiffText {
    static func print(_ report: DiffReport) {
        Swift.print("- \(describe(report.before))")
        Swift.print("+ \(describe(report.after))")
        Swift.print("")
        let schema = report.schema
        Swift.print("Schema:      " + (schema.identical ? "identical"
            : "\(schema.linesAdded + schema.linesRemoved) line\(schema.linesAdded + schema.linesRemoved == 1 ? "" : "s") changed (+\(schema.linesAdded) -\(schema.linesRemoved))"))
        let tables = report.tables
        Swift.print("Tables:      +\(tables.added) -\(tables.removed) ~\(tables.changed), \(tables.unchanged) unchanged (compared by \(tables.comparedBy) of their data)")
        let media = report.media
        Swift.print("Media:       " + (media.compared ? "+\(media.added) -\(media.removed) ~\(media.changed), \(media.unchanged) unchanged"
            : "not compared: \(media.notCompared ?? "")"))
        Swift.print("Migrations:  " + migrations(report.migrations))

        let changedTables = tables.tables.filter { $0.status != .unchanged }
        if !changedTables.isEmpty {
            Swift.print("")
            TextTable.print(header: ["", "TABLE", "ROWS BEFORE", "ROWS AFTER", "BYTES BEFORE", "BYTES AFTER"], rows: changedTables.map { table in
                [mark(table.status), table.table, table.before.map { "\($0.rows)" } ?? "-", table.after.map { "\($0.rows)" } ?? "-",
                 table.before.map { ByteCount.format($0.bytes) } ?? "-", table.after.map { ByteCount.format($0.bytes) } ?? "-"]
            })
        }
        if !media.files.isEmpty {
            Swift.print("")
            TextTable.print(header: ["", "MEDIA FILE", "SIZE BEFORE", "SIZE AFTER", "WHAT"], rows: media.files.map { file in
                [mark(file.status), file.path, file.before.map { ByteCount.format($0.size) } ?? "-",
                 file.after.map { ByteCount.format($0.size) } ?? "-", what(file)]
            })
        }
        if !schema.identical {
            Swift.print("")
            Swift.print(schema.unified, terminator: "")
        }
    }

    private static func describe(_ side: DiffSideSummary) -> String {
        guard side.database == nil else {
            return "\(side.label) (--working)" + (side.mediaFolder.map { ", media folder \($0)" } ?? "")
        }
        var details = [String]()
        if let tag = side.tag { details.append("tag \(tag)") }
        if let createdAt = side.createdAt { details.append(createdAt) }
        if let message = side.message, !message.isEmpty { details.append("\"\(message)\"") }
        return side.label + (details.isEmpty ? "" : " (\(details.joined(separator: ", ")))")
    }

    private static func migrations(_ tables: [MigrationDifference]) -> String {
        let differing = tables.filter { !$0.isIdentical }
        guard !differing.isEmpty else {
            return tables.isEmpty ? "no tracking table on either side" : "identical (\(tables.map(\.table).joined(separator: ", ")))"
        }
        return differing.map { table in
            let versions = table.onlyBefore.map { "-\($0)" } + table.onlyAfter.map { "+\($0)" }
            let shown = versions.prefix(6).joined(separator: " ") + (versions.count > 6 ? " and \(versions.count - 6) more" : "")
            return "\(table.table): \(shown)"
        }.joined(separator: "; ")
    }

    private static func mark(_ status: DiffStatus) -> String {
        switch status {
        case .added: "+"
        case .removed: "-"
        case .changed: "~"
        case .unchanged: " "
        }
    }

    private static func what(_ file: MediaDifference) -> String {
        guard file.status == .changed, let before = file.before, let after = file.after else { return file.status.rawValue }
        var parts = [String]()
        if before.id != after.id { parts.append("content") }
        if before.mode != after.mode { parts.append(String(format: "mode %o -> %o", before.mode, after.mode)) }
        return parts.joined(separator: ", ")
    }
}
