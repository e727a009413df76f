import DatasetKit
@testable import ObjectStore
import XCTest

/// RetryPolicy alone, on a fake clock: waiting moves the clock instead of the test.
final class RetryPolicyTests: XCTestCase {
    /// The fake clock, the waits asked for, and the ranges the jitter was drawn from.
    private final class Clock: Sendable {
        let time = Locked(0.0)
        let sleeps = Locked([Double]())
        let ranges = Locked([ClosedRange<Double>]())
        /// Where in a jitter range the draw lands: 0 its bottom, 1 its top.
        let fraction: Double

        init(fraction: Double = 1) { self.fraction = fraction }

        func advance(_ seconds: Double) { time.withValue { $0 += seconds } }

        func policy(_ limits: RetryLimits) -> RetryPolicy {
            RetryPolicy(limits, now: { self.time.current },
                        sleep: { seconds in self.sleeps.withValue { $0.append(seconds) }; self.advance(seconds) },
                        random: { range in
                            self.ranges.withValue { $0.append(range) }
                            return range.lowerBound + (range.upperBound - range.lowerBound) * self.fraction
                        })
        }
    }

    private struct Refused: Error {}

    func testBackoffDoublesFromTheBaseUpToTheCap() {
        let clock = Clock()
        let policy = clock.policy(RetryLimits(maxAttempts: 6, baseDelay: 1, maxDelay: 5, totalBudget: 1000))
        XCTAssertThrowsError(try policy.run { _ -> RetryPolicy.Outcome<Int> in .retryable(reason: "HTTP 500") }) {
            XCTAssertEqual(($0 as? RetryPolicy.GaveUp)?.attempts, 6)
        }
        XCTAssertEqual(clock.sleeps.current, [1, 2, 4, 5, 5])
        XCTAssertEqual(clock.ranges.current, [0...1, 0...2, 0...4, 0...5, 0...5], "full jitter: from nothing up to the backoff")
    }

    func testJitterStaysWithinTheBackoff() {
        let policy = RetryPolicy(RetryLimits(maxAttempts: 10, baseDelay: 0.5, maxDelay: 3, totalBudget: 100))
        for attempt in 1...8 {
            let ceiling = min(3, 0.5 * pow(2, Double(attempt - 1)))
            let delays = (0..<200).map { _ in policy.delay(afterAttempt: attempt, retryAfter: nil) }
            XCTAssertTrue(delays.allSatisfy { (0...ceiling).contains($0) }, "attempt \(attempt): \(delays.max() ?? 0) > \(ceiling)")
            XCTAssertGreaterThan(Set(delays).count, 1, "the delay is random")
        }
        XCTAssertEqual(RetryPolicy(RetryLimits(baseDelay: 0)).delay(afterAttempt: 3, retryAfter: nil), 0)
    }

    func testRetryAfterIsHonouredInsteadOfTheBackoffAndCapped() {
        let clock = Clock()
        let policy = clock.policy(RetryLimits(maxAttempts: 4, baseDelay: 1, maxDelay: 20, totalBudget: 1000))
        let asked = [7.0, 100, -3]
        let result = try? policy.run { attempt -> RetryPolicy.Outcome<String> in
            attempt <= asked.count ? .retryable(reason: "HTTP 503", retryAfter: asked[attempt - 1]) : .done("ok")
        }
        XCTAssertEqual(result, "ok")
        XCTAssertEqual(clock.sleeps.current, [7, 20, 0], "as asked, at most the longest backoff, never negative")
        XCTAssertEqual(clock.ranges.current, [], "no jitter on a wait the server asked for")
    }

    func testARetryAfterBeyondTheBudgetEndsTheRetriesWithoutWaiting() {
        let clock = Clock()
        let policy = clock.policy(RetryLimits(maxAttempts: 6, baseDelay: 1, maxDelay: 20, totalBudget: 10))
        XCTAssertThrowsError(try policy.run { _ -> RetryPolicy.Outcome<Int> in .retryable(reason: "HTTP 503", retryAfter: 15, answer: 503) }) {
            let gaveUp = $0 as? RetryPolicy.GaveUp
            XCTAssertEqual(gaveUp?.attempts, 1)
            XCTAssertEqual(gaveUp?.reason, "HTTP 503")
            XCTAssertEqual(gaveUp?.unreachable, false)
        }
        XCTAssertEqual(clock.sleeps.current, [])
    }

    func testNoRetryStartsOnceTheBudgetIsSpent() {
        let clock = Clock(fraction: 0)
        let policy = clock.policy(RetryLimits(maxAttempts: 100, baseDelay: 1, maxDelay: 20, totalBudget: 10))
        var attempts: [Int] = []
        XCTAssertThrowsError(try policy.run { attempt -> RetryPolicy.Outcome<Int> in
            attempts.append(attempt)
            clock.advance(4)
            return .retryable(reason: "slow \(attempt)", answer: attempt)
        }) {
            // Attempts end at 4, 8 and 12 s: the third leaves no time for a fourth.
            XCTAssertEqual(($0 as? RetryPolicy.GaveUp)?.reason, "slow 3")
            XCTAssertEqual(($0 as? RetryPolicy.GaveUp)?.attempts, 3)
        }
        XCTAssertEqual(attempts, [1, 2, 3])
    }

    func testAnUnreachableServerIsGivenUpOnAtTheLimitOrOnceTheTimeIsSpent() {
        let clock = Clock()
        let policy = clock.policy(RetryLimits(maxAttempts: 2, baseDelay: 1, maxDelay: 20, totalBudget: 10))
        XCTAssertThrowsError(try policy.run { _ -> RetryPolicy.Outcome<Int> in .unreachable(reason: "Connection refused") }) {
            let gaveUp = $0 as? RetryPolicy.GaveUp
            XCTAssertEqual(gaveUp?.attempts, 2)
            XCTAssertEqual(gaveUp?.unreachable, true)
            XCTAssertEqual(gaveUp?.reason, "Connection refused")
        }
        let late = Clock()
        XCTAssertThrowsError(try late.policy(RetryLimits(maxAttempts: 6, totalBudget: 10)).run { _ -> RetryPolicy.Outcome<Int> in
            late.advance(11)
            return .unreachable(reason: "Timeout was reached")
        }) {
            XCTAssertEqual(($0 as? RetryPolicy.GaveUp)?.attempts, 1)
            XCTAssertEqual(($0 as? RetryPolicy.GaveUp)?.unreachable, true)
        }
        // Time left, but not for the wait: the retries ran out, as for any other failure.
        let tight = Clock()
        XCTAssertThrowsError(try tight.policy(RetryLimits(maxAttempts: 6, baseDelay: 8, totalBudget: 10)).run { _ -> RetryPolicy.Outcome<Int> in
            tight.advance(5)
            return .unreachable(reason: "Timeout was reached")
        }) {
            XCTAssertEqual(($0 as? RetryPolicy.GaveUp)?.attempts, 1)
            XCTAssertEqual(($0 as? RetryPolicy.GaveUp)?.unreachable, false)
        }
    }

    func testAnErrorTheAttemptThrowsIsNotRetried() {
        let clock = Clock()
        var attempts = 0
        XCTAssertThrowsError(try clock.policy(RetryLimits()).run { _ -> RetryPolicy.Outcome<Int> in
            attempts += 1
            throw Refused()
        }) { XCTAssertTrue($0 is Refused) }
        XCTAssertEqual(attempts, 1)
        XCTAssertEqual(clock.sleeps.current, [])
    }

    func testAttemptsAreNumberedAndTheLastAnswerIsTheResult() throws {
        let clock = Clock()
        var numbers: [Int] = []
        var retries: [String] = []
        let result = try clock.policy(RetryLimits(maxAttempts: 3, baseDelay: 1, maxDelay: 20, totalBudget: 100)).run(
            onRetry: { attempt, reason, delay in retries.append("\(attempt) \(reason) \(delay)") }
        ) { attempt -> RetryPolicy.Outcome<String> in
            numbers.append(attempt)
            return .retryable(reason: "HTTP 500", answer: "answer \(attempt)")
        }
        XCTAssertEqual(result, "answer 3", "once no attempt is left, the last answer is for the caller to report")
        XCTAssertEqual(numbers, [1, 2, 3])
        XCTAssertEqual(retries, ["1 HTTP 500 1.0", "2 HTTP 500 2.0"])
    }

    func testAFailureWithoutAnAnswerAtTheLimitGivesUp() {
        let clock = Clock()
        XCTAssertThrowsError(try clock.policy(RetryLimits(maxAttempts: 2)).run { _ -> RetryPolicy.Outcome<Int> in
            .retryable(reason: "the answer was cut short")
        }) {
            XCTAssertEqual(($0 as? RetryPolicy.GaveUp)?.attempts, 2)
            XCTAssertEqual(($0 as? RetryPolicy.GaveUp)?.unreachable, false)
        }
        XCTAssertEqual(clock.sleeps.current.count, 1)
    }

    func testASuccessIsReturnedAtOnce() throws {
        let clock = Clock()
        XCTAssertEqual(try clock.policy(RetryLimits()).run { _ -> RetryPolicy.Outcome<Int> in .done(42) }, 42)
        XCTAssertEqual(clock.sleeps.current, [])
    }
}
