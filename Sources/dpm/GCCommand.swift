import ArgumentParser
import DatasetKit
import Foundation

struct GCCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gc",
        abstract: "Delete the objects in the store that no snapshot record names.",
        discussion: """
        Reads every snapshot record in the store (and every media index they name), lists every object, and \
        deletes each object none of them names that was written more than DPM_LEASE_STALE_SECONDS (default 900) \
        ago, with its damage mark; younger unreferenced objects are kept, since an upload may be about to name \
        them. Records are removed by dpm prune; gc only collects what they leave behind.

        Uploads running on other machines are safe: each keeps a lease in the store (uploads/) while it runs. \
        When gc finds one, it deletes nothing and exits 75; run it again later. An upload that finishes while \
        gc deletes waits for it, and checks that its objects are still there before it writes its record.

        --dry-run deletes nothing and reports what would be deleted. Exit status: 0 on success, 75 when a \
        running upload kept gc from deleting anything, 1 when gc could not run or stopped.
        """
    )

    @Flag(help: "Report what would be deleted, and delete nothing.")
    var dryRun = false

    @OptionGroup var jobs: JobOptions
    @OptionGroup var output: OutputOptions

    func run() throws {
        let context = try AppContext()
        let report = try GarbageCollection(workspace: try context.workspace()).run(GCRequest(dryRun: dryRun, jobs: jobs.count))
        if output.json { try Terminal.printJSON(report) } else { GCText.print(report) }
        if report.blocked, let sentence = report.runningUploadsSentence {
            Terminal.error(sentence)
            throw ExitCode(75)
        }
        if let note = report.runningUploadsSentence { Terminal.note(note) }
    }
}

/// `dpm gc` as text: what is referenced, what was (or would be) deleted, what was kept.
enum GCText {
    static func print(_ report: GCReport) {
        if report.blocked { return }
        let count = { (n: Int, what: String) in "\(n) \(what)\(n == 1 ? "" : "s")" }
        let done = report.dryRun ? "would be deleted" : "deleted"
        Swift.print(report.dryRun ? "Dry run in \(report.store): nothing was deleted." : "Collected garbage in \(report.store).")
        Swift.print("Referenced: \(count(report.referencedObjects, "object")) (\(ByteCount.format(report.referencedBytes))) named by \(count(report.records, "snapshot record"))")
        Swift.print("Garbage:    \(count(report.garbageObjects, "object")), \(ByteCount.format(report.garbageBytes)) \(report.dryRun ? "would be reclaimed" : "reclaimed")")
        Swift.print("Young:      \(count(report.youngObjects, "unreferenced object")) (\(ByteCount.format(report.youngBytes))) kept, written in the last \(String(format: "%g", report.staleSeconds)) s")
        Swift.print("Leases:     \(count(report.staleLeases.count, "stale upload lease")) \(done), \(report.liveUploads.count) running")
        Swift.print("Marks:      \(count(report.damageMarks, "damage mark")) \(done)")
        Swift.print("Time:       \(String(format: "%.2f", report.seconds)) s")
    }
}
