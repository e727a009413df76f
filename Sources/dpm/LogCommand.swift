import ArgumentParser
import DatasetKit
import Foundation

struct LogCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "log",
        abstract: "List every snapshot of a profile in the store, newest first, with its tags and the commits that pinned it.",
        discussion: """
        For each snapshot: id, time, message, tags, size (uncompressed), stored size, newly stored size, the latest \
        migration, where its data came from (a database or a dump file), whether it was sanitized, and whether \
        profiles/<name>/manifest.json pins it; then the commits of the current git branch whose manifest pins it.

        Newly stored: the stored bytes of the objects a snapshot needs (schema, data files, media index, media \
        files) that no older snapshot record in the store, of any profile, needs. Summed over every record, it is \
        what the store holds for them.
        """
    )

    @Argument(help: "The profile whose snapshots to list.")
    var profile: String

    @OptionGroup var output: OutputOptions

    func run() throws {
        let context = try AppContext()
        let name = try context.profileName(profile)
        let history = try SnapshotLog(workspace: try context.workspace(), git: GitProgram()).history(of: name)
        for problem in history.unreadable { Terminal.note("Skipped: \(problem)") }
        if output.json { return try Terminal.printJSON(history) }
        HistoryText.print(history)
    }
}

/// `dpm log` as text: one block per snapshot, as git log prints commits.
enum HistoryText {
    static func print(_ history: ProfileHistory) {
        guard !history.snapshots.isEmpty else {
            return Swift.print("The store \(history.store) has no snapshots of \(history.profile) yet; create one with \"dpm upload \(history.profile)\".")
        }
        let count = history.snapshots.count
        Swift.print("\(count) snapshot\(count == 1 ? "" : "s") of \(history.profile) in \(history.store), newest first.")
        if let pinned = history.pinned, !history.snapshots.contains(where: \.pinned) {
            Swift.print("profiles/\(history.profile)/manifest.json pins \(pinned), which the store does not have.")
        }
        for entry in history.snapshots {
            Swift.print("")
            var title = "snapshot \(entry.id)"
            if entry.pinned { title += " (pinned)" }
            if !entry.tags.isEmpty { title += " tags: \(entry.tags.joined(separator: ", "))" }
            Swift.print(title)
            Swift.print("Created:    \(entry.createdAt) (\(TextTable.ago(entry.createdAt)))")
            if !entry.message.isEmpty { Swift.print("Message:    \(entry.message)") }
            Swift.print("Size:       \(ByteCount.format(entry.size)), \(ByteCount.format(entry.storedSize)) stored, \(ByteCount.format(entry.newlyStored)) newly stored")
            Swift.print("Contents:   \(entry.tables) table\(entry.tables == 1 ? "" : "s"), \(entry.rows) row\(entry.rows == 1 ? "" : "s"), \(entry.mediaFiles) media file\(entry.mediaFiles == 1 ? "" : "s")")
            Swift.print("Source:     \(source(entry.source)), \(entry.sanitized ? "sanitized" : "NOT sanitized")")
            if let version = entry.latestMigration { Swift.print("Migration:  \(version)\(entry.migrationTable.map { " (\($0))" } ?? "")") }
            for commit in entry.commits {
                Swift.print("Pinned by:  \(commit.commit.prefix(10)) \(commit.date) \(commit.author): \(commit.subject)")
            }
        }
    }

    private static func source(_ source: HistorySource) -> String {
        guard source.kind == "dump" else { return "database \(source.name)" }
        return "dump file \(source.name)" + (source.database.map { " (of database \($0))" } ?? "")
    }
}
