import Archive
import ArgumentParser
import DatasetKit
import Foundation

struct SanitizeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sanitize",
        abstract: "Check a profile's sanitize rules against a database.",
        subcommands: [CheckCommand.self]
    )

    struct CheckCommand: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "check",
            abstract: "Report the columns that look personal and have no sanitize rule, with rules to paste.",
            discussion: """
            Reads the catalog of the database, or of a custom or directory dump with --from-dump (no table data): every rule must name an existing table and column, \
            fit its type and give outputs a restore accepts (NOT NULL, unique indexes, foreign keys, partition keys), \
            and every column whose name matches a sensitive pattern needs a rule (keep if it is not personal). Exits 1 \
            when an upload of the profile would refuse; prints a YAML block of suggested rules.
            """
        )

        @Argument(help: "The profile whose rules to check.")
        var profile: String

        @Option(help: ArgumentHelp("Check against this database instead of the working one (a libpq connection string or URI).", valueName: "conninfo"))
        var from: String?

        @Option(name: .customLong("from-dump"), help: ArgumentHelp("Check against the tables of this pg_dump custom-format file or directory dump (.gz or .zst too), read without a database.", valueName: "path"))
        var fromDump: String?

        @OptionGroup var output: OutputOptions

        func run() throws {
            let context = try AppContext()
            let name = try context.profileName(profile)
            if from != nil, fromDump != nil {
                throw DPMError.invalidInput("--from and --from-dump both name what to check; give one of them.")
            }
            let server = try context.server(conninfo: from)
            let dump = fromDump.map { URL(fileURLWithPath: $0).standardizedFileURL.path }
            let report = try SanitizeCheck(project: context.project, server: server, database: server.defaultDatabase,
                                           settings: context.settings.sanitize).run(name, dump: dump, decompression: StreamDecompressor())
            if output.json {
                try Terminal.printJSON(report)
            } else {
                print(Self.text(of: report))
            }
            if !report.unclassified.isEmpty { throw ExitCode(1) }
        }

        static func text(of report: SanitizeCheck.Report) -> String {
            let file = "profiles/\(report.profile)/profile.yaml"
            let scope = "\(report.tables) table\(report.tables == 1 ? "" : "s") of \(report.database)"
            guard !report.unclassified.isEmpty else {
                return report.hasRules
                    ? "The sanitize rules of \(file) name existing columns, fit their types and classify every column that looks personal in \(scope)."
                    : "No column of \(scope) looks personal; \(file) has no sanitize rules."
            }
            let count = report.unclassified.count
            var text = "\(count == 1 ? "A column" : "\(count) columns") of \(scope) \(count == 1 ? "looks" : "look") personal and \(count == 1 ? "has" : "have") no sanitize rule in \(file):\n"
            let width = report.unclassified.map(\.column.count).max() ?? 0
            for column in report.unclassified {
                text += "  \(column.column.padding(toLength: width, withPad: " ", startingAt: 0))  \(column.type), like \"\(column.pattern)\"\n"
            }
            text += "\nSuggested rules (review each; keep marks a column as not personal), to paste into \(file):\n\n"
            text += report.suggestions
            return text
        }
    }
}
