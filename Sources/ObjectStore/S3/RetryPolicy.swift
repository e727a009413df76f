import DatasetKit
import Foundation

/// Runs an attempt until it succeeds, fails for good, or the attempts or the time run out,
/// waiting between attempts with capped exponential backoff and full jitter, or as long as
/// the server asked (Retry-After). The clock, the waiting and the jitter are injected, so
/// the policy is tested without waiting.
public struct RetryPolicy: Sendable {
    public var limits: RetryLimits
    /// The time now, in seconds.
    private let now: @Sendable () -> Double
    private let sleep: @Sendable (Double) -> Void
    /// A value in the range, for the jitter.
    private let random: @Sendable (ClosedRange<Double>) -> Double

    public init(_ limits: RetryLimits = RetryLimits(),
                now: @escaping @Sendable () -> Double = { Date().timeIntervalSinceReferenceDate },
                sleep: @escaping @Sendable (Double) -> Void = { Thread.sleep(forTimeInterval: $0) },
                random: @escaping @Sendable (ClosedRange<Double>) -> Double = { Double.random(in: $0) }) {
        self.limits = limits
        self.now = now
        self.sleep = sleep
        self.random = random
    }

    /// What one attempt came to.
    public enum Outcome<Value> {
        /// The result: a success, or a failure another attempt would not change.
        case done(Value)
        /// A failure worth another attempt (`reason` says which, for the log). When no attempt
        /// is left, `answer` is the result if there is one, so that the caller reports it.
        case retryable(reason: String, retryAfter: Double? = nil, answer: Value? = nil)
        /// No answer at all: the connection failed or timed out.
        case unreachable(reason: String)
    }

    /// Why no further attempt was made.
    public struct GaveUp: Error {
        /// The last attempt's failure.
        public let reason: String
        public let attempts: Int
        /// The last attempt got no answer and no attempt or time was left at all (rather
        /// than too little time for the wait before the next one).
        public let unreachable: Bool
    }

    /// Runs `attempt` (numbered from 1) as often as the limits allow; an error it throws ends
    /// the run at once. `onRetry` hears of each retry before its wait: the attempt that failed,
    /// why, and the wait in seconds.
    public func run<Value>(onRetry: (_ attempt: Int, _ reason: String, _ delay: Double) -> Void = { _, _, _ in },
                           _ attempt: (_ number: Int) throws -> Outcome<Value>) throws -> Value {
        let started = now()
        var number = 0
        while true {
            number += 1
            let reason: String
            var retryAfter: Double?
            switch try attempt(number) {
            case .done(let value):
                return value
            case .retryable(let failure, let asked, let answer):
                reason = failure
                retryAfter = asked
                if number >= limits.maxAttempts, let answer { return answer }
            case .unreachable(let failure):
                reason = failure
                if number >= limits.maxAttempts || !fitsBudget(started: started, delay: 0) {
                    throw GaveUp(reason: failure, attempts: number, unreachable: true)
                }
            }
            let gaveUp = GaveUp(reason: reason, attempts: number, unreachable: false)
            guard number < limits.maxAttempts else { throw gaveUp }
            let delay = delay(afterAttempt: number, retryAfter: retryAfter)
            guard fitsBudget(started: started, delay: delay) else { throw gaveUp }
            onRetry(number, reason, delay)
            sleep(delay)
        }
    }

    /// Statuses worth another try: throttling, timeouts and server-side failures.
    static func isRetryable(status: Int) -> Bool {
        [408, 429, 500, 502, 503, 504].contains(status)
    }

    /// The wait before attempt `attempt + 1`: Retry-After when the server sent one, else
    /// exponential backoff with full jitter, capped.
    func delay(afterAttempt attempt: Int, retryAfter: Double?) -> Double {
        if let retryAfter { return min(max(retryAfter, 0), limits.maxDelay) }
        let ceiling = min(limits.maxDelay, limits.baseDelay * pow(2, Double(attempt - 1)))
        return random(0...max(ceiling, 0))
    }

    /// Whether a retry after `delay` more seconds still starts within the budget.
    private func fitsBudget(started: Double, delay: Double) -> Bool {
        now() - started + delay <= limits.totalBudget
    }
}
