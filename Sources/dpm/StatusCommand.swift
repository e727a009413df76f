import ArgumentParser
import DatasetKit
import Foundation

struct Status: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show the project, its store, the working database and what each profile pins.")

    @OptionGroup var output: OutputOptions

    func run() throws {
        let context = try AppContext()
        let status = ProjectStatus.gather(project: context.project, store: { try context.store() },
                                          server: try context.server(), now: Date())
        if output.json { return try Terminal.printJSON(status) }
        print("Project:   \(status.project)")
        print("Store:     \(status.store.url) " + (status.store.problem.map { "(unusable: \($0))" } ?? "(\(status.store.snapshots ?? 0) snapshots)"))
        let database = status.database
        var line = "Database:  \(database.name) on \(database.server)"
        if let problem = database.problem {
            line += " (unreachable: \(problem))"
        } else if database.exists == false {
            line += " (does not exist yet; dpm restore <profile> creates it)"
        } else {
            line += " (\(database.sizeBytes.map(ByteCount.format) ?? "?"), PostgreSQL \(database.serverVersion ?? "?"))"
        }
        print(line)
        for state in database.migrations ?? [] {
            print("           \(state.table): \(state.versions.count) migrations applied, latest \(state.versions.last ?? "-")")
        }
        for name in database.leftovers ?? [] {
            print("Leftover:  \(name), from an interrupted restore; nothing uses it (remove: dropdb '\(name)')")
        }
        if let media = status.media { print("Media:     \(media)") }
        print("")
        ProfileTable.print(status.profiles)
    }
}
