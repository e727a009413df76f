import Foundation

/// How long to wait after a batch: at least the pause, and, with a rate limit, long enough
/// that the rows changed so far, over the time since the run began, stay within the limit.
public struct Throttle: Equatable, Sendable {
    public let pause: Double
    public let maxRowsPerSecond: Int?

    public init(pause: Double, maxRowsPerSecond: Int?) {
        self.pause = pause
        self.maxRowsPerSecond = maxRowsPerSecond
    }

    /// Seconds to sleep after a batch, when this run has changed `rows` in `elapsed` seconds.
    /// After the last batch there is no pause, but the rate still holds: the run's average,
    /// as its summary reports it, stays within the limit.
    public func delay(rows: Int64, elapsed: Double, last: Bool = false) -> Double {
        let pause = last ? 0 : self.pause
        guard let limit = maxRowsPerSecond, limit > 0 else { return pause }
        return max(pause, Double(rows) / Double(limit) - elapsed)
    }
}
