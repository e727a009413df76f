import Foundation

/// When and how long to wait before trying an S3 request again.
public struct RetryPolicy: Sendable {
    public var maxAttempts: Int
    public var baseDelay: Double
    public var maxDelay: Double
    /// No retry starts once this many seconds have passed since the first attempt.
    public var totalBudget: Double

    public init(maxAttempts: Int = 6, baseDelay: Double = 0.25, maxDelay: Double = 20, totalBudget: Double = 300) {
        self.maxAttempts = maxAttempts
        self.baseDelay = baseDelay
        self.maxDelay = maxDelay
        self.totalBudget = totalBudget
    }

    /// DPM_S3_MAX_ATTEMPTS, DPM_S3_RETRY_BASE_SECONDS and DPM_S3_RETRY_BUDGET_SECONDS override the defaults.
    public static func from(environment: [String: String]) -> RetryPolicy {
        var policy = RetryPolicy()
        if let value = environment["DPM_S3_MAX_ATTEMPTS"].flatMap(Int.init), value >= 1 { policy.maxAttempts = value }
        if let value = environment["DPM_S3_RETRY_BASE_SECONDS"].flatMap(Double.init), value >= 0 { policy.baseDelay = value }
        if let value = environment["DPM_S3_RETRY_BUDGET_SECONDS"].flatMap(Double.init), value >= 0 { policy.totalBudget = value }
        return policy
    }

    /// Statuses worth another try: throttling, timeouts and server-side failures.
    static func isRetryable(status: Int) -> Bool {
        [408, 429, 500, 502, 503, 504].contains(status)
    }

    /// The wait before attempt `attempt + 1`: Retry-After when the server sent one, else
    /// exponential backoff with full jitter, capped.
    func delay(afterAttempt attempt: Int, retryAfter: Double?) -> Double {
        if let retryAfter { return min(max(retryAfter, 0), maxDelay) }
        let ceiling = min(maxDelay, baseDelay * pow(2, Double(attempt - 1)))
        return Double.random(in: 0...max(ceiling, 0))
    }
}
