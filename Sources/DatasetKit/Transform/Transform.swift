import Foundation

/// Options of one `dpm transform` run; nil values leave the header's.
public struct TransformOptions: Sendable {
    public var size: Int?
    public var pause: Double?
    public var maxRowsPerSecond: Int?
    public var again: Bool

    public init(size: Int? = nil, pause: Double? = nil, maxRowsPerSecond: Int? = nil, again: Bool = false) {
        self.size = size
        self.pause = pause
        self.maxRowsPerSecond = maxRowsPerSecond
        self.again = again
    }
}

/// Runs a transform file: its statement once per batch of the key range, each batch in its own
/// transaction with the progress row that records it, sleeping between batches, taking up
/// where an interrupted run stopped. Everything it checks (header, statement, table, key) is
/// checked before anything in the database changes.
public struct Transform {
    let project: Project
    let sessions: SQLSessions
    let note: @Sendable (String) -> Void
    let checkpoint: @Sendable (String) throws -> Void
    let now: @Sendable () -> Date
    let sleep: @Sendable (Double) -> Void

    static let preparedName = "dpm_transform_batch"

    public init(project: Project, sessions: SQLSessions, note: @escaping @Sendable (String) -> Void,
                checkpoint: @escaping @Sendable (String) throws -> Void = { _ in },
                now: @escaping @Sendable () -> Date = { Date() },
                sleep: @escaping @Sendable (Double) -> Void = { Thread.sleep(forTimeInterval: $0) }) {
        self.project = project
        self.sessions = sessions
        self.note = note
        self.checkpoint = checkpoint
        self.now = now
        self.sleep = sleep
    }

    /// Runs the transform at `path` (absolute) in `database`; `progress`, when given, hears
    /// after each batch (and makes the run count the keys it will walk, for its estimate).
    public func run(_ path: String, in database: String, options: TransformOptions,
                    progress: ((TransformStatus) -> Void)? = nil) throws -> TransformResult {
        let began = now()
        let file = project.relative(path)
        guard let data = FileManager.default.contents(atPath: path) else {
            throw DPMError.notFound("There is no transform file \(file).")
        }
        let text = String(decoding: data, as: UTF8.self)
        var header = try TransformHeader.parse(text, file: file)
        let statement = try BatchStatement(text, file: file)
        if let size = options.size { header.size = size }
        if let pause = options.pause { header.pause = pause }

        let session = try sessions.openSession(in: database)
        _ = try? session.query("SET application_name = 'dpm transform'", parameters: [])
        // A killed run's backend would otherwise hold its batch (and the lock below) until its
        // statement ends; PostgreSQL 14 and later notice the closed connection sooner.
        _ = try? session.query("SET client_connection_check_interval = '1s'", parameters: [])
        let target = try TransformTarget.resolve(header, in: session, database: database, file: file)
        do {
            _ = try session.prepare(Self.preparedName, statement.sql)
        } catch let error as DPMError where error.kind == .database {
            throw error.rephrased("\(file)'s statement does not run in \(database): \(error.message)")
        }
        try lock(file, in: session, database: database)

        let table = TransformProgressTable(session: session, file: file)
        let earlier = try table.read()
        if let earlier, let finished = earlier.finished, !options.again {
            throw DPMError.conflict("\(file) finished in \(database) at \(finished) (\(earlier.batches) batches, \(earlier.rows) rows); "
                                    + "add --again to run it once more.")
        }
        if !target.hasIndex {
            note("warning: \(target.tableName) has no index on \(target.keyName), so each batch scans the table.")
        }
        let walk = try KeyWalk.plan(target, size: header.size, in: session, file: file)
        let resuming = earlier != nil && earlier?.finished == nil
        if let earlier, resuming, earlier.table != target.tableName || earlier.key != target.keyName {
            // Its last key done is a position in another walk.
            throw DPMError.conflict("\(file) stopped in \(database) after \(earlier.batches) batches walking \(earlier.table) by \(earlier.key), "
                                    + "and now names \(target.tableName) by \(target.keyName); put the header back to resume, "
                                    + "or delete its row from \(TransformProgressTable.name) to start over.")
        }
        // A fresh start (the table, the file's row) commits with the first batch, so a first
        // batch that fails leaves the database as it was.
        var starting = !resuming
        let start = { try table.create(); try table.start(table: target.tableName, key: target.keyName) }
        var done = resuming ? earlier?.lastKeyDone : nil
        if let done { note("Resuming \(file) in \(database) after \(earlier?.batches ?? 0) batches, from key \(done).") }

        let throttle = Throttle(pause: header.pause, maxRowsPerSecond: options.maxRowsPerSecond)
        var estimate = progress == nil ? nil : try ProgressEstimate(walk: walk, after: done, in: session)
        var batches: Int64 = 0, rows: Int64 = 0, finished = false
        let totalBefore = resuming ? (earlier?.batches ?? 0, earlier?.rows ?? 0) : (0, 0)
        while true {
            guard let bounds = try walk.batch(after: done, in: session) else {
                try session.query("BEGIN", parameters: [])
                if starting { try start() }
                try table.finish()
                try session.query("COMMIT", parameters: [])
                finished = true
                break
            }
            let number = totalBefore.0 + batches + 1
            let changed = try runBatch(bounds, number: number, previous: done, table: table, session: session, first: starting ? start : nil,
                                       file: file, database: database, committedBefore: (totalBefore.0 + batches, totalBefore.1 + rows))
            starting = false
            batches += 1
            rows += changed
            done = bounds.end
            let elapsed = now().timeIntervalSince(began)
            if let progress {
                estimate?.walked(bounds, size: header.size)
                progress(TransformStatus(batches: batches, rows: rows, seconds: elapsed, rowsPerSecond: Double(rows) / max(elapsed, 0.001),
                                         bounds: bounds, secondsLeft: estimate?.secondsLeft(elapsed: elapsed)))
            }
            if bounds.isLast {
                finished = true
                break
            }
            let wait = throttle.delay(rows: rows, elapsed: elapsed)
            if wait > 0 { sleep(wait) }
        }
        let seconds = now().timeIntervalSince(began)
        return TransformResult(file: file, database: database, table: target.tableName, key: target.keyName, keyKind: target.kind,
                               batches: batches, rows: rows, seconds: seconds, rowsPerSecond: Double(rows) / max(seconds, 0.001),
                               resumedFrom: resuming ? earlier?.lastKeyDone : nil, again: earlier?.finished != nil, finished: finished,
                               totalBatches: totalBefore.0 + batches, totalRows: totalBefore.1 + rows, unindexedKey: !target.hasIndex)
    }

    /// One batch: the statement and its progress row in one transaction. A failure rolls back
    /// this batch only, and says so.
    private func runBatch(_ bounds: BatchBounds, number: Int64, previous: String?, table: TransformProgressTable, session: SQLSession,
                          first: (() throws -> Void)?, file: String, database: String, committedBefore: (batches: Int64, rows: Int64)) throws -> Int64 {
        do {
            try session.query("BEGIN", parameters: [])
            try first?()
            let changed = try session.runPrepared(Self.preparedName, parameters: [bounds.start, bounds.end])
            try checkpoint("transform.batch-\(number).ran")
            try table.record(bounds, rows: changed, previous: previous)
            try session.query("COMMIT", parameters: [])
            try checkpoint("transform.batch-\(number).committed")
            return changed
        } catch let error as DPMError where error.kind == .database || error.kind == .unreachable {
            _ = try? session.query("ROLLBACK", parameters: [])
            let kept = committedBefore.batches == 0
                ? "no batch before it was committed, so nothing changed"
                : "the \(committedBefore.batches) batch\(committedBefore.batches == 1 ? "" : "es") before it stay committed (\(committedBefore.rows) rows), "
                    + "and running it again resumes at this batch"
            throw error.rephrased("Batch \(number) of \(file) (\(target(bounds))) failed in \(database) and was rolled back: "
                                  + "\(error.message.trimmingCharacters(in: CharacterSet(charactersIn: "."))); \(kept).")
        } catch {
            _ = try? session.query("ROLLBACK", parameters: [])
            throw error
        }
    }

    private func target(_ bounds: BatchBounds) -> String {
        ":batch_start = \(bounds.start), :batch_end = \(bounds.end)"
    }

    /// One run of a file at a time per database: a session-level advisory lock, which
    /// PostgreSQL releases when the session ends, however it ends.
    private func lock(_ file: String, in session: SQLSession, database: String) throws {
        let key = "hashtext('\(TransformProgressTable.name)'), hashtext($1)"
        guard try session.query("SELECT pg_try_advisory_lock(\(key))", parameters: [file]).first?.first == "t" else {
            let holder = try? session.query("""
                SELECT a.pid::text, a.state FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
                WHERE l.locktype = 'advisory' AND l.classid::int = hashtext('\(TransformProgressTable.name)') AND l.objid::int = hashtext($1)
                """, parameters: [file]).first
            let who = holder.map { " (the session with pid \($0[0] ?? "?"), \($0[1] ?? "?"))" } ?? ""
            throw DPMError.conflict("Another session\(who) is running \(file) in \(database): a dpm transform still going, or the last batch of a killed one "
                                    + "that PostgreSQL has not ended yet; wait for it to end.")
        }
    }
}
