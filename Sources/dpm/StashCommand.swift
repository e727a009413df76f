import ArgumentParser
import DatasetKit
import Foundation

struct StashCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stash",
        abstract: "List and remove stashes: former working databases kept for dpm undo.",
        subcommands: [List.self, Drop.self, Prune.self]
    )

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the stashes, newest first.")
        @OptionGroup var output: OutputOptions

        func run() throws {
            let stashes = try Stashes(local: try AppContext().localDatabases()).list()
            if output.json { return try Terminal.printJSON(stashes) }
            guard !stashes.isEmpty else { return print("No stashes (dpm use makes one each time it switches).") }
            TextTable.print(header: ["ID", "HOLDS", "STASHED", "SIZE", "MEDIA"], rows: stashes.map { stash in
                [stash.id, stash.profile.map { profile in stash.snapshot.map { "\(profile) \($0)" } ?? profile } ?? "(not from dpm)",
                 TextTable.ago(stash.stashedAt), stash.recycled == true ? "recycled" : stash.sizeBytes.map(ByteCount.format) ?? "-",
                 stash.recycled == true ? "template's" : stash.media == nil ? "-" : "yes"]
            })
        }
    }

    struct Drop: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Drop one stash (its database and media folder).")
        @Argument(help: "The stash id from dpm stash list (or its database name).")
        var id: String

        func run() throws {
            let removed = try Stashes(local: try AppContext().localDatabases()).drop(id)
            print("Dropped stash \(removed.id) (\(removed.database)).")
        }
    }

    struct Prune: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Drop all but the newest stashes.")
        @Option(help: ArgumentHelp("How many stashes to keep.", valueName: "n"))
        var keep = Stashes.defaultKeep
        @OptionGroup var output: OutputOptions

        func validate() throws {
            if keep < 0 { throw ValidationError("--keep must be 0 or more.") }
        }

        func run() throws {
            let removed = try Stashes(local: try AppContext().localDatabases()).prune(keep: keep)
            if output.json { return try Terminal.printJSON(removed) }
            print(removed.isEmpty ? "Nothing to prune." : "Dropped \(removed.count) stash\(removed.count == 1 ? "" : "es"): \(removed.map(\.id).joined(separator: ", ")).")
        }
    }
}
