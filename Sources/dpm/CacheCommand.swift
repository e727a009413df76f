import ArgumentParser
import DatasetKit
import Foundation

struct CacheCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cache",
        abstract: "List and prune the template cache: local databases holding restored snapshots.",
        subcommands: [List.self, Prune.self, Refill.self]
    )

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List cached templates, most recently used first.")
        @OptionGroup var output: OutputOptions

        func run() throws {
            let templates = try CacheInventory(local: try AppContext().localDatabases()).list()
            if output.json { return try Terminal.printJSON(templates) }
            guard !templates.isEmpty else { return print("No cached templates (dpm use and dpm attach make them).") }
            TextTable.print(header: ["PROFILE", "SNAPSHOT", "SIZE", "LAST USED", "SPARE", "DATABASE"], rows: templates.map {
                [$0.profile ?? "?", $0.snapshot ?? "?", $0.sizeBytes.map(ByteCount.format) ?? "-", TextTable.ago($0.lastUsed ?? $0.builtAt),
                 $0.spare == nil ? "-" : "ready", $0.database]
            })
        }
    }

    struct Prune: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Drop all but the most recently used templates (with their spares and media).")
        @Option(help: ArgumentHelp("How many templates to keep.", valueName: "n"))
        var keep = CacheInventory.defaultKeep
        @Option(help: ArgumentHelp("Only prune this profile's templates.", valueName: "profile"))
        var profile: String?
        @OptionGroup var output: OutputOptions

        func validate() throws {
            if keep < 0 { throw ValidationError("--keep must be 0 or more.") }
        }

        func run() throws {
            let context = try AppContext()
            let name = try profile.map { try context.profileName($0) }
            if let name { _ = try context.project.profile(name) }
            let removed = try CacheInventory(local: try context.localDatabases()).prune(keep: keep, profile: name)
            if output.json { return try Terminal.printJSON(removed) }
            print(removed.isEmpty ? "Nothing to prune." : "Dropped \(removed.count) template\(removed.count == 1 ? "" : "s"): \(removed.map(\.database).joined(separator: ", ")).")
        }
    }

    struct Refill: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Make the spare copies that turn the next dpm use into a rename.",
            discussion: "dpm use and dpm attach start this in the background; run it yourself to wait until the spares are ready."
        )
        @OptionGroup var output: OutputOptions

        func run() throws {
            let context = try AppContext()
            let result = try SpareRefill(local: try context.localDatabases(), spares: context.spares).run()
            if output.json { return try Terminal.printJSON(result) }
            print(result.made.isEmpty ? "Spares are ready." : "Made \(result.made.joined(separator: ", ")).")
        }
    }
}
