import Foundation

/// Rewrites a lease or marker every refresh interval on a background thread, and remembers
/// (by the local monotonic clock) when each rewrite succeeded: a holder can then tell whether
/// the rewrites ever stopped long enough for another process to find it stale ("lapsed").
final class LeaseRefresher: @unchecked Sendable {
    private let condition = NSCondition()
    private let interval: Double
    private let rewrite: @Sendable () throws -> Void
    private var stopped = false
    private var running = false
    private var thread: Thread?
    /// Monotonic seconds of the last successful rewrite, and the longest gap between two since `restartWatch`.
    private var lastSuccess: Double
    private var longestGap = 0.0

    /// `rewrite` is called every `interval` seconds until `stop`; `written` is the monotonic time
    /// of the write the caller just made itself.
    init(interval: Double, written: Double = MonotonicClock.seconds(), rewrite: @escaping @Sendable () throws -> Void) {
        self.interval = interval
        self.rewrite = rewrite
        lastSuccess = written
    }

    func start() {
        running = true
        let thread = Thread { [self] in loop() }
        thread.name = "dpm lease refresher"
        self.thread = thread
        thread.start()
    }

    /// Stops the rewrites and waits for one in flight, so that nothing rewrites the lease after
    /// the holder's own last write (a marker's "finished", a lease's deletion).
    func stop() {
        condition.withLock {
            stopped = true
            condition.broadcast()
            while running { condition.wait() }
        }
    }

    /// Records a rewrite the holder made itself (synchronously, as the commit check does).
    func noteSuccess(at time: Double = MonotonicClock.seconds()) {
        condition.withLock { recordSuccess(at: time) }
    }

    /// The longest time without a successful rewrite since the last `restartWatch`, the time
    /// since the last one included.
    func longestSilence(now: Double = MonotonicClock.seconds()) -> Double {
        condition.withLock { max(longestGap, now - lastSuccess) }
    }

    /// Seconds since the last successful rewrite.
    func sinceLastSuccess(now: Double = MonotonicClock.seconds()) -> Double {
        condition.withLock { now - lastSuccess }
    }

    /// Forgets the gaps so far (after a check that covered them).
    func restartWatch() {
        condition.withLock { longestGap = 0 }
    }

    private func recordSuccess(at time: Double) {
        longestGap = max(longestGap, time - lastSuccess)
        lastSuccess = max(lastSuccess, time)
    }

    private func loop() {
        while true {
            let due = condition.withLock { () -> Bool in
                let deadline = Date().addingTimeInterval(interval)
                while !stopped, Date() < deadline { _ = condition.wait(until: deadline) }
                return !stopped
            }
            guard due else {
                condition.withLock {
                    running = false
                    condition.broadcast()
                }
                return
            }
            // A failed rewrite (the store unreachable for a moment) is tried again next time;
            // its gap is what `longestSilence` measures.
            if (try? rewrite()) != nil { noteSuccess() }
        }
    }
}
