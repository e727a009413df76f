import ArgumentParser
import DatasetKit
import Foundation

struct UseCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "use",
        abstract: "Switch the working database (and media folder) to a profile's snapshot.",
        discussion: """
        The first use of a snapshot restores it into a local template database; later switches clone it, or, \
        when a ready spare copy is waiting, only rename databases (milliseconds, whatever the size). A background \
        process makes the next spare after each switch (DPM_SPARES: how many recent templates keep one, default 2; \
        DPM_REFILL=off disables it).

        The working database is never dropped: it becomes a stash (see dpm stash list), and dpm undo brings it \
        back with its media folder. A stash that holds nothing but the unchanged template copy it was switched in \
        as is not kept: it becomes the template's spare (or is dropped), and dpm undo rebuilds it from the \
        template. dpm.yaml's hooks.post_restore commands run on a template while it is built (so later switches \
        stay instant), those with per_switch: true after every switch; --no-hooks skips them. Stashes over DPM_STASH_WARN_GB (default 10) are warned about. Open connections to the working database make dpm refuse, naming them; \
        --force ends them.
        """
    )

    @Argument(help: "The profile to switch to (clean profiles come from db/migration-base/).")
    var profile: String

    @OptionGroup var snapshot: SnapshotOption<UseAction>

    @OptionGroup var sessions: EndSessionsOption

    @Flag(help: "Leave the media folder as it is.")
    var noMedia = false

    @OptionGroup var hooks: HooksFlag
    @OptionGroup var migrations: MigrateFlag
    @OptionGroup var jobs: JobOptions
    @OptionGroup var output: OutputOptions

    func run() throws {
        let context = try AppContext()
        var local = try context.localDatabases()
        local.hooks = try hooks.hooks(context)
        let result = try Switch(local: local).use(SwitchOptions(
            profile: try context.profileName(profile), snapshotID: snapshot.snapshot, force: sessions.force, media: !noMedia, jobs: jobs.count))
        context.startBackgroundRefill()
        let report = {
            SwitchReport.print(result, json: output.json, verb: "Switched")
            SwitchReport.warnAboutStashes(context, local)
        }
        try hooks.run(local.hooks, .copied, on: result.database, profile: result.profile ?? profile, snapshot: result.snapshot,
                      reportingFirst: report)
        try migrations.followUp(context, database: result.database, thenReport: report)
    }
}

struct UndoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "undo",
        abstract: "Bring back what the working database (and media folder) held before the last switch.",
        discussion: "The current working database becomes a stash in turn, so a second undo switches back again."
    )

    @OptionGroup var sessions: EndSessionsOption

    @OptionGroup var output: OutputOptions

    func run() throws {
        let context = try AppContext()
        let local = try context.localDatabases()
        let result = try Switch(local: local).undo(force: sessions.force)
        SwitchReport.print(result, json: output.json, verb: "Restored")
        SwitchReport.warnAboutStashes(context, local)
    }
}

enum SwitchReport {
    static func print(_ result: SwitchResult, json: Bool, verb: String) {
        if json { return (try? Terminal.printJSON(result)) ?? () }
        var what = result.profile.map { profile in result.snapshot.map { "\(profile) \($0)" } ?? profile } ?? "a database dpm did not fill"
        if let written = result.tablesWritten, written > 0, result.profile != nil {
            what = "your work on \(what) (\(written) table\(written == 1 ? "" : "s") written since it was switched in)"
        }
        var how: String
        switch result.method {
        case .spare: how = "renamed a ready copy"
        case .clone: how = "cloned the cached template"
        case .restore: how = "restored the template, then cloned it"
        case .stash: how = "renamed the stash back"
        }
        if result.rebuiltFromTemplate == true {
            how = "the stash held it unchanged, so it was rebuilt from the template: \(how)"
        }
        var line = "\(verb) \(result.database) to \(what) (\(how)) in \(String(format: "%.2f", result.seconds)) s"
        if let recycled = result.stashRecycled {
            let fate = recycled == "spare" ? "it became the template's ready spare copy" : "it was dropped"
            line += "; the previous one held \(result.recycledHeld ?? "a template copy") unchanged, so no stash was kept (\(fate); dpm undo rebuilds it from the template)"
        } else if let stash = result.stash {
            line += "; the previous one is stash \(LocalNames.stashID(stash))"
        }
        Swift.print(line + ".")
        if let media = result.media { Swift.print("Media folder: \(media)") }
    }

    /// On stderr, so that --json output stays one document.
    static func warnAboutStashes(_ context: AppContext, _ local: LocalDatabases) {
        guard let stashes = try? Stashes(local: local).list(),
              let warning = Stashes.sizeWarning(stashes, working: local.names.working, limitBytes: context.stashWarningBytes) else { return }
        Terminal.note(warning)
    }
}

extension AppContext {
    /// DPM_STASH_WARN_GB (default 10): `use`, `undo` and `status` warn when stashes hold more.
    /// A value that is not a number is noted where the limit is used, not on every command.
    var stashWarningBytes: Double {
        if let problem = settings.switching.stashWarningProblem { Terminal.note(problem) }
        return settings.switching.stashWarningBytes
    }
}
