/// How objects travel to and from an S3 store: DPM_S3_TIMEOUT_SECONDS, DPM_S3_PART_SIZE_MB,
/// DPM_S3_JOBS and the retry limits. The store clamps part size and jobs to what S3 allows.
public struct S3TransferSettings: Sendable, Equatable {
    /// The longest one request may take before it counts as failed (default 900).
    public var timeoutSeconds: Int
    /// Objects larger than this go up in parts of this size (default 64 MiB).
    public var partSize: Int64
    /// Parts in flight at once (default 4).
    public var jobs: Int
    public var retry: RetryLimits

    public init(environment: [String: String]) {
        timeoutSeconds = environment["DPM_S3_TIMEOUT_SECONDS"].flatMap(Int.init) ?? 900
        partSize = (environment["DPM_S3_PART_SIZE_MB"].flatMap(Int64.init) ?? 64) << 20
        jobs = environment["DPM_S3_JOBS"].flatMap(Int.init) ?? 4
        retry = RetryLimits(environment: environment)
    }
}

/// How often and for how long a failed request is tried again.
public struct RetryLimits: Sendable, Equatable {
    /// DPM_S3_MAX_ATTEMPTS (at least 1, default 6).
    public var maxAttempts: Int
    /// DPM_S3_RETRY_BASE_SECONDS (default 0.25): the backoff before the second attempt, doubled for each later one.
    public var baseDelay: Double
    public var maxDelay: Double
    /// DPM_S3_RETRY_BUDGET_SECONDS (default 300): no retry starts once this many seconds have passed since the first attempt.
    public var totalBudget: Double

    public init(maxAttempts: Int = 6, baseDelay: Double = 0.25, maxDelay: Double = 20, totalBudget: Double = 300) {
        self.maxAttempts = maxAttempts
        self.baseDelay = baseDelay
        self.maxDelay = maxDelay
        self.totalBudget = totalBudget
    }

    public init(environment: [String: String]) {
        self.init()
        if let value = environment["DPM_S3_MAX_ATTEMPTS"].flatMap(Int.init), value >= 1 { maxAttempts = value }
        if let value = environment["DPM_S3_RETRY_BASE_SECONDS"].flatMap(Double.init), value >= 0 { baseDelay = value }
        if let value = environment["DPM_S3_RETRY_BUDGET_SECONDS"].flatMap(Double.init), value >= 0 { totalBudget = value }
    }
}

/// Where and as whom to reach S3, from the variables the AWS tools read (an unset and an
/// empty one mean the same) and DPM_S3_PATH_STYLE. The AWS files themselves are read by the
/// S3 store, which falls back to them.
public struct AWSSettings: Sendable, Equatable {
    /// AWS_PROFILE (default "default").
    public var profile: String
    /// AWS_SHARED_CREDENTIALS_FILE (default ~/.aws/credentials).
    public var credentialsFile: String
    /// AWS_CONFIG_FILE (default ~/.aws/config).
    public var configFile: String
    /// AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN.
    public var accessKeyID: String?
    public var secretAccessKey: String?
    public var sessionToken: String?
    /// AWS_REGION, else AWS_DEFAULT_REGION.
    public var region: String?
    /// AWS_ENDPOINT_URL_S3, else AWS_ENDPOINT_URL.
    public var endpoint: String?
    /// DPM_S3_PATH_STYLE: 1 or true for path-style addressing, anything else for virtual-hosted; nil: decided by the endpoint.
    public var pathStyle: Bool?

    public init(environment: [String: String]) {
        profile = nonEmpty(environment["AWS_PROFILE"]) ?? "default"
        let home = homeDirectory(environment)
        credentialsFile = environment["AWS_SHARED_CREDENTIALS_FILE"] ?? "\(home)/.aws/credentials"
        configFile = environment["AWS_CONFIG_FILE"] ?? "\(home)/.aws/config"
        accessKeyID = nonEmpty(environment["AWS_ACCESS_KEY_ID"])
        secretAccessKey = nonEmpty(environment["AWS_SECRET_ACCESS_KEY"])
        sessionToken = nonEmpty(environment["AWS_SESSION_TOKEN"])
        region = [environment["AWS_REGION"], environment["AWS_DEFAULT_REGION"]].lazy.compactMap(nonEmpty).first
        endpoint = [environment["AWS_ENDPOINT_URL_S3"], environment["AWS_ENDPOINT_URL"]].lazy.compactMap(nonEmpty).first
        pathStyle = environment["DPM_S3_PATH_STYLE"].map { $0 == "1" || $0 == "true" }
    }
}
