import ArgumentParser
import DatasetKit
import Foundation

struct TransformCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "transform",
        abstract: "Run a batched, throttled, resumable data change on the working database (or --db).",
        discussion: """
        FILE holds one SQL statement and a line "-- dpm:batch table=<table> key=<column> [size=<n>] [pause=<duration>]". \
        dpm walks the key from its smallest to its largest value in batches and runs the statement once per batch with \
        :batch_start and :batch_end bound to the batch's bounds (select the rows with key >= :batch_start AND key < :batch_end). \
        Integer keys go in ranges of size values; uuid and text keys in runs of size keys. Each batch commits in its own \
        transaction together with its row in dpm_transform_progress, so a run stopped in any way (Ctrl-C, kill -9, a failed \
        batch) resumes after its last committed batch, and no batch runs twice. A finished transform refuses to run again \
        unless --again. DURATION: a number with ms, s or m (100ms, 2s, 1m), or 0.
        """
    )

    @Argument(help: ArgumentHelp("The transform file (e.g. db/transforms/20261201_fill_full_name.sql).", valueName: "file"))
    var file: String

    @Option(help: ArgumentHelp("Run in this database instead of the working one.", valueName: "dbname"))
    var db: String?

    @Option(help: ArgumentHelp("Batch size instead of the header's size=: n key values (integer keys) or n keys (uuid, text).", valueName: "n"))
    var size: String?

    @Option(help: ArgumentHelp("Sleep between batches, instead of the header's pause=.", valueName: "duration"))
    var pause: String?

    @Option(help: ArgumentHelp("Sleep as needed to keep the average rate of changed rows at or below this.", valueName: "n"))
    var maxRowsPerSecond: Int?

    @Flag(help: "Run a finished transform once more, from the first batch.")
    var again = false

    @OptionGroup var output: OutputOptions

    func validate() throws {
        if let maxRowsPerSecond, maxRowsPerSecond < 1 { throw ValidationError("--max-rows-per-second must be at least 1.") }
    }

    func run() throws {
        let options = TransformOptions(size: try size.map { try TransformHeader.parseSize($0, what: "--size \($0)") },
                                       pause: try pause.map { try TransformHeader.parsePause($0, what: "--pause \($0)") },
                                       maxRowsPerSecond: maxRowsPerSecond, again: again)
        let context = try AppContext()
        let server = try context.server()
        let path = Self.resolved(FilePath.isAbsolute(file) ? file : FilePath.join(FileManager.default.currentDirectoryPath, file))
        let transform = Transform(project: context.project, sessions: server, note: Terminal.note, checkpoint: context.checkpoint)
        let line = TransformProgressLine()
        let progress: ((TransformStatus) -> Void)? = Terminal.stderrIsTerminal ? { line.draw($0) } : nil
        let result: TransformResult
        do {
            result = try transform.run(path, in: db ?? server.defaultDatabase, options: options, progress: progress)
        } catch {
            if Terminal.stderrIsTerminal { Terminal.writeLine("") }
            throw error
        }
        if Terminal.stderrIsTerminal { Terminal.writeLine("") }
        if output.json { return try Terminal.printJSON(result) }
        print(TransformText.summary(result))
    }

    /// The file's real path, so that "db/../db/transforms/x.sql" and a link to it are the one
    /// file the progress table knows (the project root is a real path, from getcwd); `path`
    /// itself when it does not resolve (the run then says the file is missing).
    private static func resolved(_ path: String) -> String {
        guard let real = realpath(path, nil) else { return path }
        defer { free(real) }
        return String(cString: real)
    }
}

/// The progress line on stderr, redrawn in place at most ten times a second, as ProgressMeter's.
final class TransformProgressLine {
    private var lastDraw = Date.distantPast

    func draw(_ status: TransformStatus) {
        let now = Date()
        guard now.timeIntervalSince(lastDraw) >= 0.1 else { return }
        lastDraw = now
        var parts = ["Transform: \(status.batches) batch\(status.batches == 1 ? "" : "es")", "\(status.rows) rows",
                     "\(TransformText.rate(status.rowsPerSecond)) rows/s"]
        if let left = status.secondsLeft { parts.append("about \(TransformText.duration(left)) left") }
        FileHandle.standardError.write(Data("\r\u{1B}[K\(parts.joined(separator: "  "))".utf8))
    }
}

/// The summary of a transform, and the numbers of its progress line.
enum TransformText {

    static func summary(_ result: TransformResult) -> String {
        let batches = "\(result.batches) batch\(result.batches == 1 ? "" : "es")"
        var text = "\(result.finished ? "Finished" : "Ran") \(result.file) in \(result.database): \(batches), \(result.rows) rows changed "
            + "in \(String(format: "%.2f", result.seconds)) s (\(rate(result.rowsPerSecond)) rows/s)"
        if let from = result.resumedFrom {
            text += "; resumed after key \(from), \(result.totalBatches) batches and \(result.totalRows) rows in all"
        }
        if result.again { text += "; run again (--again)" }
        return text + "."
    }

    static func rate(_ value: Double) -> String { value >= 100 ? String(Int(value.rounded())) : String(format: "%.1f", value) }

    static func duration(_ seconds: Double) -> String {
        let whole = Int(seconds.rounded())
        return whole < 60 ? "\(whole) s" : whole < 3600 ? "\(whole / 60) min \(whole % 60) s" : "\(whole / 3600) h \(whole / 60 % 60) min"
    }
}
