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
        let (header, statement) = try read(path, file: file, options: options)
        let session = try sessions.openSession(in: database)
        _ = try? session.query("SET application_name = 'dpm transform'", parameters: [])
        // A killed run's backend would otherwise hold its batch (and the lock below) until its
        // statement ends; PostgreSQL 14 and later notice the closed connection sooner.
        _ = try? session.query("SET client_connection_check_interval = '1s'", parameters: [])
        let target = try TransformTarget.resolve(header, in: session, database: database, file: file)
        do {
            _ = try session.prepare(BatchRun.preparedName, statement.sql)
        } catch let error as DPMError where error.kind == .database {
            throw error.rephrased("\(file)'s statement does not run in \(database): \(error.message)")
        }
        try lock(file, in: session, database: database)

        let table = TransformProgressTable(session: session, file: file, table: target.tableName, key: target.keyName)
        let earlier = try table.read()
        let resumed = try resumption(of: earlier, target: target, again: options.again, file: file, database: database)
        if !target.hasIndex {
            note("warning: \(target.tableName) has no index on \(target.keyName), so each batch scans the table.")
        }
        let walk = try KeyWalk.plan(target, size: header.size, in: session)
        if let resumed, let done = resumed.lastKeyDone {
            note("Resuming \(file) in \(database) after \(resumed.batches) batches, from key \(done).")
        }
        var run = BatchRun(session: session, table: table, walk: walk,
                           throttle: Throttle(pause: header.pause, maxRowsPerSecond: options.maxRowsPerSecond),
                           file: file, database: database, before: (resumed?.batches ?? 0, resumed?.rows ?? 0),
                           checkpoint: checkpoint, now: now, sleep: sleep)
        let estimate = progress == nil ? nil : try ProgressEstimate(walk: walk, after: resumed?.lastKeyDone, in: session)
        try run.run(after: resumed?.lastKeyDone, starting: resumed == nil, began: began, estimate: estimate, progress: progress)

        let seconds = now().timeIntervalSince(began)
        return TransformResult(file: file, database: database, table: target.tableName, key: target.keyName, keyKind: target.kind,
                               batches: run.batches, rows: run.rows, seconds: seconds, rowsPerSecond: Double(run.rows) / max(seconds, 0.001),
                               resumedFrom: resumed?.lastKeyDone, again: earlier?.finished != nil, finished: true,
                               totalBatches: run.before.batches + run.batches, totalRows: run.before.rows + run.rows,
                               unindexedKey: !target.hasIndex)
    }

    /// The header (with the options' size and pause) and the statement of the file.
    private func read(_ path: String, file: String, options: TransformOptions) throws -> (TransformHeader, BatchStatement) {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw DPMError.notFound("There is no transform file \(file).")
        }
        let text = String(decoding: data, as: UTF8.self)
        var header = try TransformHeader.parse(text, file: file)
        let statement = try BatchStatement(text, file: file)
        if let size = options.size { header.size = size }
        if let pause = options.pause { header.pause = pause }
        return (header, statement)
    }

    /// The earlier run this one takes up, nil for a start from the first batch; refuses a
    /// finished transform without --again, and a stopped one whose header now names another walk.
    private func resumption(of earlier: TransformProgressRow?, target: TransformTarget, again: Bool,
                            file: String, database: String) throws -> TransformProgressRow? {
        guard let earlier else { return nil }
        if let finished = earlier.finished {
            guard again else {
                throw DPMError.conflict("\(file) finished in \(database) at \(finished) (\(earlier.batches) batches, \(earlier.rows) rows); "
                                        + "add --again to run it once more.")
            }
            return nil
        }
        guard earlier.table == target.tableName, earlier.key == target.keyName else {
            // Its last key done is a position in another walk.
            throw DPMError.conflict("\(file) stopped in \(database) after \(earlier.batches) batches walking \(earlier.table) by \(earlier.key), "
                                    + "and now names \(target.tableName) by \(target.keyName); put the header back to resume, "
                                    + "or delete its row from \(TransformProgressTable.name) to start over.")
        }
        if again { note("\(file) has not finished in \(database), so --again does not apply: this run resumes it.") }
        return earlier
    }

    /// How long to wait for the lock: a killed run's session ends within about a second
    /// (client_connection_check_interval) of its client's death.
    static let lockWait = 3.0

    /// One run of a file at a time per database: a session-level advisory lock, which
    /// PostgreSQL releases when the session ends, however it ends.
    private func lock(_ file: String, in session: SQLSession, database: String) throws {
        let key = "hashtext('\(TransformProgressTable.name)'), hashtext($1)"
        let deadline = now().addingTimeInterval(Self.lockWait)
        var locked = false
        while !locked {
            locked = try session.query("SELECT pg_try_advisory_lock(\(key))", parameters: [file]).first?.first == "t"
            guard !locked, now() < deadline else { break }
            sleep(0.1)
        }
        guard locked else {
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
