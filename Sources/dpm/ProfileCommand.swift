import ArgumentParser
import DatasetKit
import Foundation

struct ProfileCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "profile",
        abstract: "Create, list, show and delete profiles (named datasets).",
        subcommands: [Create.self, List.self, Show.self, Delete.self]
    )

    struct Create: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create profiles/<name>/profile.yaml.")

        @Argument(help: "Lowercase letters, digits, - and _, starting with a letter (max 63).")
        var name: String

        @Option(help: "clean (schema and seed data in git), shared (a team dataset) or customer (one customer's data).")
        var kind: ProfileKind

        @Option(help: ArgumentHelp("What the dataset is, for people reading profile list.", valueName: "text"))
        var description: String = ""

        func run() throws {
            let context = try AppContext()
            let profile = try context.profileName(name)
            try ProjectSetup.createProfile(profile, spec: ProfileSpec(kind: kind, description: description), in: context.project)
            print("Created profile \(profile) (\(kind.rawValue)) in profiles/\(profile)/profile.yaml.")
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List profiles with their pinned snapshot, its age and size.")

        @OptionGroup var output: OutputOptions

        func run() throws {
            let context = try AppContext()
            let summaries = ProfileSummary.all(in: context.project, now: Date())
            if output.json { return try Terminal.printJSON(summaries) }
            guard !summaries.isEmpty else { return print("No profiles yet; create one with \"dpm profile create <name> --kind shared\".") }
            ProfileTable.print(summaries)
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show one profile: settings, pinned snapshot and its facts.")

        @Argument var name: String
        @OptionGroup var output: OutputOptions

        func run() throws {
            let context = try AppContext()
            let profile = try context.profileName(name)
            let summary = try ProfileSummary.summary(of: profile, in: context.project, now: Date())
            if output.json { return try Terminal.printJSON(summary) }
            ProfileTable.printDetails(summary)
        }
    }

    struct Delete: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Delete profiles/<name>/; the store keeps the profile's snapshots.")

        @Argument var name: String

        @OptionGroup var confirmation: ConfirmationOption

        func run() throws {
            let context = try AppContext()
            let profile = try context.profileName(name)
            _ = try context.project.profile(profile)
            try confirmation.require("Delete profile \(profile) (profiles/\(profile)/)? The store keeps its snapshots.",
                                     refusal: "Refusing to delete profile \(profile) without confirmation; add --yes.",
                                     declined: "Profile \(profile) was not deleted.")
            try ProjectSetup.deleteProfile(profile, in: context.project)
            print("Deleted profile \(profile); its snapshots remain in the store.")
        }
    }
}

extension ProfileKind: ExpressibleByArgument {}

/// Human-readable renderings of profile summaries.
enum ProfileTable {
    static func print(_ summaries: [ProfileSummary]) {
        let rows = summaries.map { summary -> [String] in
            [summary.name, summary.kind.rawValue, summary.snapshot ?? (summary.problem == nil ? "-" : "unreadable"),
             summary.ageSeconds.map { Age.format(seconds: $0) + " ago" } ?? "-",
             summary.size.map(ByteCount.format) ?? "-", summary.sanitizedLabel ?? "-", summary.problem ?? summary.description]
        }
        TextTable.print(header: ["PROFILE", "KIND", "SNAPSHOT", "AGE", "SIZE", "DATA", "DESCRIPTION"], rows: rows)
    }

    static func printDetails(_ summary: ProfileSummary) {
        Swift.print("Profile:      \(summary.name) (\(summary.kind.rawValue))")
        if !summary.description.isEmpty { Swift.print("Description:  \(summary.description)") }
        if !summary.filters.isEmpty {
            Swift.print("Tables:       include \(summary.filters.include), exclude \(summary.filters.exclude), exclude data \(summary.filters.excludeData)")
        }
        guard let snapshot = summary.snapshot else { return Swift.print("Snapshot:     none yet (dpm upload \(summary.name))") }
        Swift.print("Snapshot:     \(snapshot)")
        Swift.print("Created:      \(summary.createdAt ?? "?")\(summary.ageSeconds.map { " (\(Age.format(seconds: $0)) ago)" } ?? "")")
        if let message = summary.message, !message.isEmpty { Swift.print("Message:      \(message)") }
        Swift.print("Size:         \(summary.size.map(ByteCount.format) ?? "-") (\(summary.storedSize.map(ByteCount.format) ?? "-") stored)")
        Swift.print("Tables:       \(summary.tables ?? 0) (\(summary.rows ?? 0) rows)")
        Swift.print("Media files:  \(summary.mediaFiles ?? 0)")
        if let label = summary.sanitizedLabel { Swift.print("Data:         \(sanitizeDetails(summary, label: label))") }
        if let database = summary.database {
            Swift.print("Database:     \(database.summary)" + (database.settings.isEmpty ? "" : "; settings: \(database.settings.joined(separator: ", "))"))
        }
        for state in summary.migrations ?? [] {
            Swift.print("Migrations:   \(state.table): \(state.versions.count) applied, latest \(state.versions.last ?? "-")")
        }
    }

    private static func sanitizeDetails(_ summary: ProfileSummary, label: String) -> String {
        guard let record = summary.sanitize else {
            return label + (summary.hasSanitizeRules ? " (profile.yaml has rules now; upload again to apply them)" : " (profile.yaml has no sanitize rules)")
        }
        let truncated = record.truncated.isEmpty ? "" : ", \(record.truncated.count) table\(record.truncated.count == 1 ? "" : "s") truncated"
        let scripts = record.scripts.isEmpty ? "" : ", \(record.scripts.count) script\(record.scripts.count == 1 ? "" : "s")"
        let changed = summary.sanitizeRulesChanged == true ? "; the rules in profile.yaml have changed since" : ""
        return "\(label): \(record.columns) column\(record.columns == 1 ? "" : "s") by rule\(truncated)\(scripts), rules \(record.rules.prefix(12)), algorithm v\(record.algorithm), key \(record.keyFingerprint)\(changed)"
    }
}
