import ArgumentParser
import DatasetKit
import Foundation

struct MigrateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "migrate",
        abstract: "Apply the repository's pending migrations to the working database (or --db).",
        discussion: """
        With migrations.command in dpm.yaml, that command runs with PGHOST, PGPORT, PGDATABASE, PGUSER and \
        DATABASE_URL naming the database. Otherwise dpm applies <version>_<name>.sql files from migrations.dir \
        in version order, each in its own transaction together with the row that records it (in \
        migrations.table, schema_migrations if present, or dpm_migrations); a failing migration is rolled back \
        and stops the run, naming the file and PostgreSQL's message and line. A file with the line \
        "-- dpm:no-transaction", or with its own BEGIN/COMMIT, runs statement by statement without a wrapping \
        transaction and is recorded after it succeeds; if it fails, it may be partly applied, and dpm names the \
        failing statement.
        """
    )

    @Option(help: ArgumentHelp("Migrate this database instead of the working one.", valueName: "dbname"))
    var db: String?

    @Option(help: ArgumentHelp("Stop after this version (dpm's own runner only).", valueName: "version"))
    var to: String?

    @Flag(help: "Show what would be applied; change nothing.")
    var dryRun = false

    @OptionGroup var output: OutputOptions

    func run() throws {
        let context = try AppContext()
        let server = try context.server()
        let result = try Migrations(project: context.project, server: server).migrate(database: db ?? server.defaultDatabase, dryRun: dryRun, upTo: to)
        if output.json { return try Terminal.printJSON(result) }
        MigrationText.printResult(result)
    }
}

struct MigrationsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "migrations",
        abstract: "Compare what each dataset has applied with the repository's migrations.",
        subcommands: [Status.self]
    )

    struct Status: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Per profile (and the working database): pending migrations, and versions no file has.",
            discussion: "Versions a snapshot has that no file has were squashed into the base schema, or come from another branch."
        )

        @Argument(help: "Profiles to report (default: all, and the working database).")
        var profiles: [String] = []

        @OptionGroup var output: OutputOptions

        func run() throws {
            let context = try AppContext()
            let report = try MigrationReport.gather(project: context.project, server: try context.server(),
                                                    profiles: try profiles.map { try context.profileName($0) })
            if output.json { return try Terminal.printJSON(report) }
            print("\(report.files.count) migration file\(report.files.count == 1 ? "" : "s") in \(report.directory)"
                  + (report.files.last.map { ", latest \($0.version)" } ?? ""))
            TextTable.print(header: ["DATASET", "TABLE", "APPLIED", "LATEST", "PENDING", "NOT IN REPO"], rows: report.rows.map { row in
                let name = row.isWorkingDatabase ? "\(row.name) (working db)" : row.name
                guard let comparison = row.comparison else { return [name, "-", "-", "-", "-", row.problem ?? "-"] }
                return [name, comparison.table ?? "(none)", "\(comparison.appliedCount)", comparison.latest ?? "-",
                        comparison.pending.map { MigrationText.versions($0.map(\.version)) } ?? "n/a (\(comparison.tool ?? "?"))",
                        MigrationText.versions(comparison.unknown)]
            })
        }
    }
}

/// Shared wording for migration results and the follow-up after restore, use and attach.
enum MigrationText {
    static func versions(_ list: [String]) -> String {
        switch list.count {
        case 0: return "-"
        case 1...3: return list.joined(separator: ", ")
        default: return "\(list.count) (\(list[0]) … \(list[list.count - 1]))"
        }
    }

    /// "a, b" or "a … z", without a count.
    static func span(_ list: [String]) -> String {
        list.count <= 3 ? list.joined(separator: ", ") : "\(list[0]) … \(list[list.count - 1])"
    }

    static func printResult(_ result: MigrateResult) {
        let names = result.applied.map { "\($0.version)_\($0.name)" }
        if result.applied.isEmpty {
            print("\(result.database) is up to date with the repository's migrations.")
        } else if result.dryRun {
            print("Would apply \(names.count) migration\(names.count == 1 ? "" : "s") to \(result.database)"
                  + (result.command.map { " with \"\($0)\"" } ?? "") + ":")
            names.forEach { print("  \($0)") }
        } else {
            print("Applied \(names.count) migration\(names.count == 1 ? "" : "s") to \(result.database)"
                  + (result.command.map { " with \"\($0)\"" } ?? " (recorded in \(result.table ?? "?"))")
                  + " in \(String(format: "%.2f", result.seconds)) s: \(names.joined(separator: ", ")).")
        }
        result.notes.forEach { print("  \($0)") }
    }
}

/// `--migrate` for commands that fill a database from a snapshot.
struct MigrateFlag: ParsableArguments {
    @Flag(help: "Apply pending migrations afterwards (also: migrations.migrate_after_restore in dpm.yaml).")
    var migrate = false

    /// Reports pending migrations in `database` on stderr, or applies them.
    func followUp(_ context: AppContext, database: String) throws {
        let server = try context.server()
        let migrations = Migrations(project: context.project, server: server)
        let files = try migrations.files()
        guard !files.isEmpty else { return }
        let comparison = try migrations.comparison(in: database, files: files)
        guard let pending = comparison.pending, !pending.isEmpty else { return }
        if migrate || context.project.config.migrateAfterRestore {
            let result = try migrations.migrate(database: database, dryRun: false)
            Terminal.note("Applied \(result.applied.count) pending migration\(result.applied.count == 1 ? "" : "s") to \(database): "
                          + MigrationText.span(result.applied.map(\.version)) + ".")
        } else {
            let count = pending.count == 1 ? "1 migration" : "\(pending.count) migrations"
            let command = database == server.defaultDatabase ? "dpm migrate" : "dpm migrate --db \(database)"
            Terminal.note("\(database) lacks \(count) of \(context.project.config.migrationsDir) (\(MigrationText.span(pending.map(\.version)))); "
                          + "run \"\(command)\", or add --migrate.")
        }
    }

    /// The follow-up, then the command's summary `report`: the hint comes first so that it is
    /// not missed above the summary, and the summary comes even when applying fails, since
    /// the database was filled either way.
    func followUp(_ context: AppContext, database: String, thenReport report: () throws -> Void) throws {
        do {
            try followUp(context, database: database)
        } catch {
            try report()
            throw error
        }
        try report()
    }
}
