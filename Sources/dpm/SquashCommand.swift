import ArgumentParser
import DatasetKit
import Foundation

struct SquashCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "squash",
        abstract: "Fold released migrations into the clean profile's base schema, with proof.",
        discussion: """
        Squashes the migration files that the source profile's pinned snapshot and every other profile's \
        snapshot have applied (from the oldest file up to the first one some profile lacks) into \
        db/migration-base/<clean profile>/schema.sql, with the tracking table's rows for them. Before \
        writing anything, dpm builds two scratch databases, A (the old base with every migration file) \
        and B (the new base with the files that remain), and compares their normalized schemas and \
        tracking rows; any difference stops the squash with a diff. data.sql is kept when it loads on \
        the new base and holds the seed data the squashed migrations leave; otherwise it is rewritten \
        from the migrated old base. Then the squashed files are deleted (unless --keep-files) and the \
        clean profile's manifest is updated. Uses dpm's own runner, so not with migrations.command.
        """
    )

    @Option(help: ArgumentHelp("The production-like profile whose snapshot gives the schema (default: the only profile of kind shared).", valueName: "profile"))
    var from: String?

    @Option(help: ArgumentHelp("The clean profile whose base is rewritten (default: clean-db, or the only clean profile).", valueName: "profile"))
    var into: String?

    @Flag(help: "Do every check and print the plan; write nothing.")
    var dryRun = false

    @Flag(help: "Write the new base but leave the squashed migration files in place.")
    var keepFiles = false

    @Flag(name: [.short, .long], help: "Do not ask for confirmation.")
    var yes = false

    @OptionGroup var output: OutputOptions

    func run() throws {
        let context = try AppContext()
        let squash = Squash(workspace: try context.workspace(), server: try context.server())
        let prepared = try squash.prepare(from: try from.map(context.profileName), into: try into.map(context.profileName), keepFiles: keepFiles)
        if dryRun {
            if output.json { return try Terminal.printJSON(prepared.plan) }
            return SquashText.print(prepared.plan, dryRun: true)
        }
        if !output.json { SquashText.print(prepared.plan, dryRun: false) }
        if !yes {
            let files = prepared.plan.removedFiles.count
            switch Terminal.confirm("Write the new base\(files > 0 ? " and delete \(files) migration file\(files == 1 ? "" : "s")" : "")?") {
            case .none: throw DPMError.invalidInput("Refusing to squash without confirmation; add --yes (or --dry-run to see the plan).")
            case .some(false): throw DPMError.interrupted("Nothing was squashed.")
            case .some(true): break
            }
        }
        let plan = try squash.apply(prepared)
        if output.json { return try Terminal.printJSON(plan) }
        SquashText.printWritten(plan)
    }
}

/// The plan and result of a squash, as people read them.
enum SquashText {
    static func print(_ plan: SquashPlan, dryRun: Bool) {
        let name: (MigrationFile) -> String = { "\($0.version)_\($0.name)" }
        Swift.print("Squash into \(plan.target) from \(plan.source) (snapshot \(plan.sourceSnapshot))\(dryRun ? ", dry run" : ""):")
        let others = plan.profiles.filter { $0.note != "source" }
        if !others.isEmpty {
            Swift.print("  profiles compared: " + others.map { "\($0.name) (\($0.snapshot ?? $0.note ?? "-"))" }.joined(separator: ", "))
        }
        Swift.print("  squash \(plan.squashed.count) migration\(plan.squashed.count == 1 ? "" : "s"):")
        plan.squashed.forEach { Swift.print("    \(name($0))") }
        if !plan.kept.isEmpty {
            Swift.print("  keep \(plan.kept.count) as files:")
            plan.kept.forEach { Swift.print("    \(name($0.file))  (\($0.reason))") }
        }
        Swift.print("  new base: " + (plan.baseFrom == "snapshot"
            ? "the schema of \(plan.source) snapshot \(plan.sourceSnapshot)"
            : "the old base with the squashed migrations replayed (\(plan.source) has applied later migrations too)")
            + ", plus an INSERT of \(plan.trackingRowsInBase) row\(plan.trackingRowsInBase == 1 ? "" : "s") into \(plan.trackingTable)")
        Swift.print("  \(plan.schemaPath): \(plan.schemaLinesBefore) → \(plan.schemaLinesAfter) lines")
        switch plan.dataFile.action {
        case "kept": Swift.print("  \(plan.dataFile.path): kept (it loads on the new base with the same seed data)")
        case "none": Swift.print("  \(plan.dataFile.path): none needed")
        default: Swift.print("  \(plan.dataFile.path): rewritten from the migrated old base, because \(plan.dataFile.reason ?? "it no longer fits")")
        }
        Swift.print("  proof: old base + \(plan.proof.oldBaseMigrations) migrations and new base + \(plan.proof.newBaseMigrations) "
                    + "give the same schema (\(plan.proof.schemaLines) lines) and \(plan.proof.trackingRows) tracking rows")
        if plan.removedFiles.isEmpty {
            Swift.print("  files: the migration files stay (--keep-files); the base records them as applied")
        } else {
            Swift.print("  files to delete: \(plan.removedFiles.count)\(dryRun ? " (not deleted: dry run)" : "")")
        }
    }

    static func printWritten(_ plan: SquashPlan) {
        let data = plan.dataFile.action == "rewritten" ? ", \(plan.dataFile.path)" : ""
        Swift.print("Squashed \(plan.squashed.count) migration\(plan.squashed.count == 1 ? "" : "s") through \(plan.squashed.last?.version ?? "-") into \(plan.schemaPath)\(data) "
                    + "and profiles/\(plan.target)/manifest.json; deleted \(plan.removedFiles.count) file\(plan.removedFiles.count == 1 ? "" : "s").")
        Swift.print("Review and commit: \(plan.review)")
    }
}
