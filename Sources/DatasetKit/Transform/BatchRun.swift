import Foundation

/// The loop of a transform run: batch after batch, each in its own transaction with the
/// progress row that records it, sleeping between them as the throttle says.
struct BatchRun {
    let session: SQLSession
    let table: TransformProgressTable
    let walk: KeyWalk
    let throttle: Throttle
    let file: String
    let database: String
    let checkpoint: @Sendable (String) throws -> Void
    let now: @Sendable () -> Date
    let sleep: @Sendable (Double) -> Void

    static let preparedName = "dpm_transform_batch"

    /// Batches and rows committed before this run, and by it.
    private(set) var before: (batches: Int64, rows: Int64)
    private(set) var batches: Int64 = 0
    private(set) var rows: Int64 = 0

    init(session: SQLSession, table: TransformProgressTable, walk: KeyWalk, throttle: Throttle, file: String, database: String,
         before: (batches: Int64, rows: Int64), checkpoint: @escaping @Sendable (String) throws -> Void,
         now: @escaping @Sendable () -> Date, sleep: @escaping @Sendable (Double) -> Void) {
        self.session = session
        self.table = table
        self.walk = walk
        self.throttle = throttle
        self.file = file
        self.database = database
        self.before = before
        self.checkpoint = checkpoint
        self.now = now
        self.sleep = sleep
    }

    /// Runs the batches after `done` (from the first when nil) to the end of the walk. With
    /// `starting`, the progress row is (re)started inside the first batch's transaction, so a
    /// first batch that fails leaves the database as it was.
    mutating func run(after done: String?, starting: Bool, began: Date, estimate: ProgressEstimate?,
                      progress: ((TransformStatus) -> Void)?) throws {
        var done = done, starting = starting, estimate = estimate
        while let bounds = try walk.batch(after: done, in: session) {
            let changed = try runBatch(bounds, number: before.batches + batches + 1, previous: done, starting: starting)
            starting = false
            batches += 1
            rows += changed
            done = bounds.end
            let elapsed = now().timeIntervalSince(began)
            if let progress {
                estimate?.walked(bounds, size: walk.size)
                progress(TransformStatus(batches: batches, rows: rows, seconds: elapsed, rowsPerSecond: Double(rows) / max(elapsed, 0.001),
                                         bounds: bounds, secondsLeft: estimate?.secondsLeft(elapsed: elapsed)))
            }
            let wait = throttle.delay(rows: rows, elapsed: elapsed, last: bounds.isLast)
            if wait > 0 { sleep(wait) }
            // The last batch recorded the walk as finished.
            if bounds.isLast { return }
        }
        // No key left: an empty table, or a run killed after its last batch committed.
        try inTransaction {
            if starting { try table.start() }
            try table.finish()
        }
    }

    private func inTransaction(_ body: () throws -> Void) throws {
        try session.query("BEGIN", parameters: [])
        do {
            try body()
            try session.query("COMMIT", parameters: [])
        } catch {
            _ = try? session.query("ROLLBACK", parameters: [])
            throw error
        }
    }

    /// One batch: the statement and its progress row in one transaction. A failure rolls back
    /// this batch only, and says so.
    private func runBatch(_ bounds: BatchBounds, number: Int64, previous: String?, starting: Bool) throws -> Int64 {
        var changed: Int64 = 0
        do {
            try inTransaction {
                if starting { try table.start() }
                changed = try session.runPrepared(Self.preparedName, parameters: [bounds.start, bounds.end])
                try checkpoint("transform.batch-\(number).ran")
                try table.record(bounds, rows: changed, previous: previous)
            }
        } catch let error as DPMError where error.kind == .database || error.kind == .unreachable {
            let committed = before.batches + batches, committedRows = before.rows + rows
            let kept = committed == 0
                ? "no batch before it was committed, so nothing changed"
                : "the \(committed) batch\(committed == 1 ? "" : "es") before it stay committed (\(committedRows) rows), "
                    + "and running it again resumes at this batch"
            throw error.rephrased("Batch \(number) of \(file) (:batch_start = \(bounds.start), :batch_end = \(bounds.end)) failed in \(database) "
                                  + "and was rolled back: \(error.message.trimmingCharacters(in: CharacterSet(charactersIn: "."))); \(kept).")
        }
        try checkpoint("transform.batch-\(number).committed")
        return changed
    }
}
