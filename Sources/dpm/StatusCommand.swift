import ArgumentParser
import DatasetKit
import Foundation

struct StatusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show the project, its store, the working database and what each profile pins.")

    @OptionGroup var output: OutputOptions

    func run() throws {
        let context = try AppContext()
        let status = ProjectStatus.gather(project: context.project, store: { try context.store() },
                                          server: try context.server(), now: Date(), local: try? context.localDatabases(),
                                          extraPartials: context.cachePartials)
        if output.json { return try Terminal.printJSON(status) }
        print("Project:   \(status.project)")
        let encrypted = status.store.encryption == StoreEncryptionState.encrypted.rawValue ? ", encrypted" : ""
        print("Store:     \(status.store.url) " + (status.store.problem.map { "(unusable: \($0))" } ?? "(\(status.store.snapshots ?? 0) snapshots\(encrypted))"))
        let database = status.database
        var line = "Database:  \(database.name) on \(database.server)"
        if let problem = database.problem {
            line += " (unreachable: \(problem))"
        } else if database.exists == false {
            line += " (does not exist yet; dpm use <profile> creates it)"
        } else {
            line += " (\(database.sizeBytes.map(ByteCount.format) ?? "?"), PostgreSQL \(database.serverVersion ?? "?")"
                + (database.properties.map { ", \($0.summary)" } ?? "") + ")"
        }
        print(line)
        for state in database.migrations ?? [] {
            print("           \(state.table): \(state.versions.count) migrations applied, latest \(state.versions.last ?? "-")")
        }
        LeftoverReport.print(status.leftovers ?? [])
        if let local = status.local {
            LocalReport.print(local)
            if let warning = Stashes.sizeWarning(local.stashes, working: database.name, limitBytes: context.stashWarningBytes) {
                print("Warning:   \(warning)")
            }
        } else if let media = status.media {
            print("Media:     \(media)")
        }
        print("")
        ProfileTable.print(status.profiles)
    }
}

/// The local part of `dpm status`: active profile, cache, stashes, attached databases.
enum LocalReport {
    static func print(_ local: LocalStatus) {
        if let active = local.active {
            let what = active.profile.map { profile in active.snapshot.map { "\(profile) \($0)" } ?? profile } ?? "a database dpm did not fill"
            Swift.print("Active:    \(what), switched in \(TextTable.ago(active.since))")
            var changes: [String] = []
            if !active.tablesWritten.isEmpty {
                let tables = active.tablesWritten.prefix(8).joined(separator: ", ") + (active.tablesWritten.count > 8 ? ", …" : "")
                changes.append("\(active.tablesWritten.count) table\(active.tablesWritten.count == 1 ? "" : "s") written (\(tables))")
            }
            if let applied = active.migrationsApplied, applied > 0 {
                changes.append("\(applied) migration\(applied == 1 ? "" : "s") applied")
            }
            Swift.print("Changed:   " + (changes.isEmpty ? "nothing written since" : changes.joined(separator: "; ") + " since"))
        }
        if let media = local.media {
            Swift.print("Media:     \(media.path) " + (media.exists ? "(\(media.files) file\(media.files == 1 ? "" : "s"))" : "(does not exist)"))
        }
        for note in local.notes { Swift.print("Note:      \(note)") }
        if !local.templates.isEmpty {
            Swift.print("\nCached templates:")
            TextTable.print(header: ["PROFILE", "SNAPSHOT", "SIZE", "LAST USED", "SPARE"], rows: local.templates.map {
                [$0.profile ?? "?", $0.snapshot ?? "?", $0.sizeBytes.map(ByteCount.format) ?? "-", TextTable.ago($0.lastUsed ?? $0.builtAt),
                 $0.spare == nil ? "-" : "ready"]
            }, indent: "  ")
        }
        if !local.stashes.isEmpty {
            Swift.print("\nStashes (dpm undo brings back the first):")
            TextTable.print(header: ["ID", "HOLDS", "STASHED", "SIZE"], rows: local.stashes.map { stash in
                [stash.id, stash.profile.map { profile in stash.snapshot.map { "\(profile) \($0)" } ?? profile } ?? "(not from dpm)",
                 TextTable.ago(stash.stashedAt), stash.recycled == true ? "recycled" : stash.sizeBytes.map(ByteCount.format) ?? "-"]
            }, indent: "  ")
        }
        if !local.attached.isEmpty {
            Swift.print("\nAttached:")
            TextTable.print(header: ["DATABASE", "PROFILE", "URI"], rows: local.attached.map {
                [$0.database, ($0.profile ?? "?") + ($0.kind == .customer ? " (customer data)" : ""), $0.uri]
            }, indent: "  ")
        }
    }
}

/// What killed dpm commands left, as `status` and `cleanup --dry-run` show it.
enum LeftoverReport {
    static func print(_ leftovers: [Leftover]) {
        for item in leftovers {
            Swift.print("Leftover:  \(line(item)); " + (item.removable ? "dpm cleanup removes it" : "dpm cleanup keeps it: \(item.advice ?? "")"))
        }
        let removable = leftovers.filter(\.removable).count
        if removable > 0 {
            Swift.print("           Run dpm cleanup to remove \(removable == 1 ? "it" : "these \(removable)") (dpm cleanup --dry-run lists them first).")
        }
    }

    static func line(_ item: Leftover) -> String {
        let what = item.kind == .database ? "database \(item.name)" : item.name
        return "\(what) (\(item.holds)\(item.bytes.map { ", \(ByteCount.format($0))" } ?? ""))"
    }
}
