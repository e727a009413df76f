import ArgumentParser
import DatasetKit
import Foundation

struct PruneCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "prune",
        abstract: "Remove the snapshot records no retention rule keeps (objects stay until dpm gc).",
        discussion: """
        A snapshot is kept when any rule keeps it: --keep-last N (the newest N of each profile), --keep-within \
        DURATION (made within DURATION before now), --keep-tagged (named by a tag). Settings missing from the \
        command line come from retention: in dpm.yaml (keep_last, keep_within, keep_tagged); with no rule at all, \
        prune refuses. Without --keep-last 0, the newest snapshot of each profile is always kept.

        Never removed: a snapshot that profiles/<name>/manifest.json pins at the tip of any branch, tag or \
        remote-tracking branch of the git repository, or in the working tree (uncommitted pins count).

        DURATION: whole numbers with units, largest first: y (365 days), m (30 days), w (7 days), d (days), h \
        (hours); e.g. 90d, 12h, 2w, 1y6m. There are no minutes.

        Only records (snapshots/<profile>/<id>.json) and the tags naming removed snapshots are deleted; the \
        objects stay in the store, shared with other snapshots or not, until "dpm gc" deletes those no record \
        names.
        """
    )

    @Argument(help: ArgumentHelp("Profiles to prune (default: every profile of the project with snapshots in the store).", valueName: "profile"))
    var profiles: [String] = []

    // Unconditional, so that "--keep-last -1" reaches prune's own sentence, not the parser's "missing value".
    @Option(parsing: .unconditional, help: ArgumentHelp("Keep the newest N snapshots of each profile.", valueName: "n"))
    var keepLast: String?

    @Option(parsing: .unconditional, help: ArgumentHelp("Keep the snapshots made within this duration before now (90d, 12h, 2w, 1y6m).", valueName: "duration"))
    var keepWithin: String?

    @Flag(inversion: .prefixedNo, help: "Keep every snapshot a tag names (--no-keep-tagged overrides keep_tagged: true in dpm.yaml).")
    var keepTagged: Bool?

    @Flag(help: "Show what would be removed, and remove nothing.")
    var dryRun = false

    @OptionGroup var output: OutputOptions

    func run() throws {
        let flags = try RetentionPolicy.flags(keepLast: keepLast, keepWithin: keepWithin, keepTagged: keepTagged)
        let context = try AppContext()
        let report = try SnapshotPrune(workspace: try context.workspace(), git: GitProgram())
            .run(PruneRequest(profiles: profiles, flags: flags, dryRun: dryRun))
        for note in report.notes { Terminal.note(note) }
        if output.json { return try Terminal.printJSON(report) }
        PruneText.print(report)
    }
}

/// `dpm prune` as text: the rules, a table per profile, what was removed and what gc can reclaim.
enum PruneText {
    static func print(_ report: PruneReport) {
        Swift.print("Pruning \(report.store)\(report.dryRun ? " (dry run: nothing is removed)" : ""): keep \(rules(report.policy)); never a snapshot a manifest pins (\(pinSources(report))).")
        if report.profiles.isEmpty {
            return Swift.print("The store has no snapshots of this project's profiles; nothing to do.")
        }
        for profile in report.profiles {
            Swift.print("")
            guard !profile.snapshots.isEmpty else {
                Swift.print("\(profile.profile): no snapshots in the store; nothing to do.")
                continue
            }
            let verb = report.dryRun ? "would remove" : "removed"
            Swift.print("\(profile.profile): \(profile.snapshots.count) snapshot\(profile.snapshots.count == 1 ? "" : "s"), \(profile.kept) kept, \(profile.removed) \(verb).")
            TextTable.print(header: ["SNAPSHOT", "CREATED", "TAGS", "", "NEWLY STORED", "WHY KEPT"], rows: profile.snapshots.map { entry in
                [entry.id, entry.createdAt.isEmpty ? "-" : entry.createdAt, entry.tags.isEmpty ? "-" : entry.tags.joined(separator: ","),
                 entry.kept ? "keep" : "remove", ByteCount.format(entry.newlyStored), entry.kept ? entry.reasons.joined(separator: "; ") : "-"]
            }, indent: "  ")
            if !profile.removedTags.isEmpty {
                Swift.print("  Tags \(report.dryRun ? "to remove" : "removed") with their snapshots: \(profile.removedTags.joined(separator: ", ")).")
            }
        }
        Swift.print("")
        let n = report.removedSnapshots, tags = report.removedTags
        let tagText = tags == 0 ? "" : " and \(tags) tag\(tags == 1 ? "" : "s")"
        guard n > 0 else { return Swift.print("Every snapshot is kept; nothing \(report.dryRun ? "would be" : "was") removed.") }
        let sizes = "\(ByteCount.format(report.removedNewlyStored)) newly stored by them, \(ByteCount.format(report.reclaimable)) in objects no remaining record names\(report.mediaCounted ? "" : ", media files not counted")"
        if report.dryRun {
            Swift.print("Would remove \(n) snapshot record\(n == 1 ? "" : "s")\(tagText) (\(sizes)); run without --dry-run to remove them.")
        } else {
            Swift.print("Removed \(n) snapshot record\(n == 1 ? "" : "s")\(tagText). Their objects are still in the store (\(sizes)): run \"dpm gc\" to reclaim the space.")
        }
    }

    static func rules(_ policy: RetentionPolicy) -> String {
        var rules: [String] = []
        if let count = policy.keepLast { rules.append(count == 0 ? "none by count" : "the last \(count)") } else { rules.append("the newest") }
        if let within = policy.keepWithin { rules.append("those within \(within)") }
        if policy.keepTagged == true { rules.append("tagged ones") }
        return rules.count == 1 ? rules[0] : rules.dropLast().joined(separator: ", ") + " and " + rules.last!
    }

    private static func pinSources(_ report: PruneReport) -> String {
        guard report.gitRepository else { return "the working tree; not a git repository" }
        return "\(report.refs) git ref\(report.refs == 1 ? "" : "s") and the working tree"
    }
}
