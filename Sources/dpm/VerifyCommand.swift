import ArgumentParser
import DatasetKit
import Foundation

struct VerifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Check that every object the chosen snapshots need is in the store and intact.",
        discussion: """
        Without arguments: every snapshot a manifest of the project pins. PROFILE: that profile's pinned snapshot; \
        PROFILE@SNAPSHOT: that snapshot (an id, its unique beginning, or a tag); --all: every snapshot record in \
        the store (with profiles: every record of those). The objects are the schema, each data file and the \
        media index each record names, and every media file the media index names.

        Each object must be in the store with a stored size its records give (one listing of the store's objects); \
        --read-data reads every one from the store (never from the download cache), decompresses it and checks it \
        against its id, and --sample PCT reads that share of them at random. A missing or damaged object is \
        reported with every snapshot that needs it and marked in the store (damaged/<id>.json), so that the next \
        upload of the same content stores it anew; a marked object found intact again loses its mark.

        Exit status: 0 when everything is intact, 2 when an object is missing or damaged or a snapshot record \
        cannot be read (the report is printed), 1 when verify could not run (nothing checked, nothing marked).
        """
    )

    @Argument(help: ArgumentHelp("Profiles (their pinned snapshots), or PROFILE@SNAPSHOT|TAG.", valueName: "profile"))
    var profiles: [String] = []

    @Flag(help: "Every snapshot record in the store (with profiles: every record of those profiles).")
    var all = false

    @Flag(help: "Read every object in full: decompress it and check it against its id.")
    var readData = false

    @Option(help: ArgumentHelp("Read this share of the objects in full, picked at random; the rest by size.", valueName: "pct"))
    var sample: String?

    @OptionGroup var jobs: JobOptions
    @OptionGroup var output: OutputOptions

    func run() throws {
        let reading = try VerifyReading.parse(readData: readData, sample: sample)
        let context = try AppContext()
        let request = VerifyRequest(targets: profiles, all: all, reading: reading, jobs: jobs.count)
        let report = try StoreVerification(workspace: try context.workspace()).run(request)
        if output.json { try Terminal.printJSON(report) } else { VerifyText.print(report) }
        if let failed = report.markingFailed { Terminal.note("The objects could not be marked: \(failed)") }
        guard report.intact else {
            Terminal.error(VerifyText.failure(report))
            throw ExitCode(2)
        }
    }
}

/// `dpm verify` as text: what was checked, each problem with the snapshots that need the
/// object, and what was marked.
enum VerifyText {
    static func print(_ report: VerifyReport) {
        let count = report.snapshotsChecked
        Swift.print("Verified \(count) snapshot\(count == 1 ? "" : "s") in \(report.store): \(mode(report)).")
        if !report.snapshots.isEmpty {
            let names = report.snapshots.prefix(5).map { "\($0.profile)@\($0.id)\($0.pinned ? " (pinned)" : "")" }
            let more = report.snapshots.count > 5 ? " and \(report.snapshots.count - 5) more" : ""
            Swift.print("Snapshots:  \(names.joined(separator: ", "))\(more)")
        }
        Swift.print("Objects:    \(report.objectsChecked) checked, \(report.objectsRead) read in full")
        Swift.print("Read:       \(ByteCount.format(report.bytesRead)) stored (\(ByteCount.format(report.contentBytesRead)) decompressed) in \(String(format: "%.2f", report.seconds)) s, \(String(format: "%.1f", report.megabytesPerSecond)) MB/s")
        for problem in report.unreadable {
            Swift.print("")
            Swift.print("snapshot \(problem.profile)\(problem.id.map { "@\($0)" } ?? ""): \(problem.reason)")
        }
        for problem in report.problems {
            Swift.print("")
            Swift.print("object \(problem.object) (\(problem.what.joined(separator: "; "))) \(problem.reason).")
            Swift.print("  needed by \(problem.snapshots.map(\.description).joined(separator: ", "))")
        }
        if !report.problems.isEmpty || !report.marksRemoved.isEmpty { Swift.print("") }
        if !report.marked.isEmpty {
            let n = report.marked.count
            Swift.print("Marked \(n) object\(n == 1 ? "" : "s") damaged in the store (damaged/<id>.json): the next upload of the same content stores \(n == 1 ? "it" : "them") anew.")
        }
        if !report.marksRemoved.isEmpty {
            let n = report.marksRemoved.count
            Swift.print("\(n) object\(n == 1 ? "" : "s") marked damaged before \(n == 1 ? "was" : "were") read intact; \(n == 1 ? "its mark was" : "their marks were") removed.")
        }
        if report.intact { Swift.print("All \(report.objectsChecked) objects are intact.") }
    }

    private static func mode(_ report: VerifyReport) -> String {
        switch report.reading {
        case "read-data": "every object read in full, decompressed and checked against its id"
        case "sample": "a \(String(format: "%g", report.samplePercent ?? 0))% sample read in full, the other objects checked by their stored size"
        default: "every object checked by its stored size"
        }
    }

    /// The one sentence on stderr when something was found.
    static func failure(_ report: VerifyReport) -> String {
        var parts: [String] = []
        if !report.problems.isEmpty {
            let n = report.problems.count
            let snapshots = Set(report.problems.flatMap(\.snapshots)).count
            parts.append("\(n) object\(n == 1 ? "" : "s") needed by \(snapshots) snapshot\(snapshots == 1 ? "" : "s") \(n == 1 ? "is" : "are") missing or damaged")
        }
        if !report.unreadable.isEmpty {
            let n = report.unreadable.count
            parts.append("\(n) snapshot\(n == 1 ? "" : "s") could not be read in full")
        }
        let repair = report.problems.isEmpty ? "" : "; uploading the same content again stores it anew"
        return "In \(report.store), \(parts.joined(separator: ", and ")) (see the report)\(repair)."
    }
}
