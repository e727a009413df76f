import Foundation

/// Samples `pg_locks` from a connection of its own while a change runs: which relation locks
/// the other sessions of the database hold, every `interval` seconds. A lock held for less
/// than the interval may fall between two samples.
final class LockSampler: @unchecked Sendable {
    struct Sample: Sendable {
        /// Seconds since the sampler started (monotonic).
        let time: Double
        /// (relation oid, name or "" when the sampler cannot see it yet, mode) of each granted lock.
        let locks: [Held]
    }

    struct Held: Sendable, Hashable {
        let oid: String
        let name: String
        let mode: String
    }

    static let query = """
        SELECT l.relation::text, coalesce(n.nspname || '.' || c.relname, ''), coalesce(c.relkind::text, ''), l.mode
        FROM pg_locks l LEFT JOIN pg_class c ON c.oid = l.relation LEFT JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE l.locktype = 'relation' AND l.granted AND l.pid <> pg_backend_pid()
          AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
          AND coalesce(n.nspname, '') NOT IN ('pg_catalog', 'information_schema', 'pg_toast')
          AND coalesce(c.relkind::text, 'r') IN ('r', 'p', 'm')
        """

    let interval: Double
    private let stopped = Locked(false)
    private let work: BackgroundWork<[Sample]>

    /// Connects to `database` (before returning, so the first sample precedes the change) and samples until `stop()`.
    init(sessions: SQLSessions, database: String, interval: Double) throws {
        self.interval = interval
        let ready = DispatchSemaphore(value: 0)
        let opened = Locked<Error?>(nil)
        let stopped = self.stopped
        work = BackgroundWork {
            let session: SQLSession
            do {
                session = try sessions.openSession(in: database)
                _ = try session.query("SET application_name = 'dpm rehearse (lock sampler)'", parameters: [])
            } catch {
                opened.withValue { $0 = error }
                ready.signal()
                throw error
            }
            let clock = ContinuousClock(), start = clock.now
            func elapsed() -> Double {
                let duration = clock.now - start
                return Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
            }
            var samples = [Sample(time: 0, locks: try Self.read(session))]
            ready.signal()
            var tick = 1
            while !stopped.current {
                let wait = Double(tick) * interval - elapsed()
                if wait > 0 { Thread.sleep(forTimeInterval: wait) }
                tick = max(tick + 1, Int(elapsed() / interval) + 1)
                let time = elapsed()
                samples.append(Sample(time: time, locks: try Self.read(session)))
            }
            return samples
        }
        ready.wait()
        if let error = opened.current { throw error }
    }

    /// Stops sampling (after one last sample) and returns every sample.
    func stop() throws -> [Sample] {
        stopped.withValue { $0 = true }
        return try work.wait()
    }

    private static func read(_ session: SQLSession) throws -> [Held] {
        try session.query(query, parameters: []).compactMap { row in
            guard row.count == 4, let oid = row[0], let mode = row[3] else { return nil }
            return Held(oid: oid, name: row[1] ?? "", mode: mode)
        }
    }
}
