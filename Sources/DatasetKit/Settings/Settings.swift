import Foundation

/// Everything dpm takes from its environment, parsed once by the executable and handed to
/// the modules that need a part of it: no module reads the process environment for a
/// setting, and a test builds any configuration from a dictionary. dpm.yaml's settings are
/// `ProjectConfig`, which `project` overrides when the project is loaded.
public struct Settings: Sendable, Equatable {
    public var project: ProjectOverrides
    public var switching: SwitchSettings
    public var compression: CompressionSettings
    public var s3: S3TransferSettings
    public var aws: AWSSettings
    public var postgres: PostgresClientSettings
    public var cache: CacheSettings
    public var sanitize: SanitizeSettings
    public var encryption: EncryptionSettings
    public var diagnostics: Diagnostics
    public var leases: LeaseSettings

    public init(environment: [String: String]) {
        project = ProjectOverrides(environment: environment)
        switching = SwitchSettings(environment: environment)
        compression = CompressionSettings(environment: environment)
        s3 = S3TransferSettings(environment: environment)
        aws = AWSSettings(environment: environment)
        postgres = PostgresClientSettings(environment: environment)
        cache = CacheSettings(environment: environment)
        sanitize = SanitizeSettings(environment: environment)
        encryption = EncryptionSettings(environment: environment)
        diagnostics = Diagnostics(environment: environment)
        leases = LeaseSettings(environment: environment)
    }
}

/// DPM_DATABASE_URL and DPM_STORE: replace dpm.yaml's `database` and `store` (empty: unset).
public struct ProjectOverrides: Sendable, Equatable {
    public var database: String?
    public var store: String?

    public init(database: String? = nil, store: String? = nil) {
        self.database = database
        self.store = store
    }

    public init(environment: [String: String]) {
        self.init(database: nonEmpty(environment["DPM_DATABASE_URL"]), store: nonEmpty(environment["DPM_STORE"]))
    }
}

/// How `use`, `undo` and the template cache behave around a switch.
public struct SwitchSettings: Sendable, Equatable {
    /// DPM_SPARES (0 to 16, default 2): how many of the most recently used templates keep a ready spare copy.
    public var spares: Int
    /// DPM_REFILL=off turns the background refill after a switch off.
    public var refill: Bool
    /// DPM_STASH_WARN_GB (default 10), in bytes: `use`, `undo` and `status` warn when stashes hold more.
    public var stashWarningBytes: Double
    /// Why DPM_STASH_WARN_GB was not used, for the commands to say where they use the limit.
    public var stashWarningProblem: String?

    public static let defaultStashWarningGB = 10.0

    public init(environment: [String: String]) {
        spares = environment["DPM_SPARES"].flatMap(Int.init).map { min(max($0, 0), 16) } ?? 2
        refill = environment["DPM_REFILL"] != "off"
        let defaultGB = Self.defaultStashWarningGB
        stashWarningBytes = defaultGB * 1e9
        if let text = environment["DPM_STASH_WARN_GB"], !text.isEmpty {
            if let gigabytes = Double(text), gigabytes.isFinite, gigabytes >= 0 {
                stashWarningBytes = gigabytes * 1e9
            } else {
                stashWarningProblem = "DPM_STASH_WARN_GB=\(text) is not a number of gigabytes; dpm uses \(Int(defaultGB))."
            }
        }
    }
}

/// DPM_ZSTD_LEVEL (1 to 19, default 4): the zstd level of new objects. DPM_PACK_BELOW (bytes,
/// default 262144, at most the largest chunk): contents smaller than this travel in packs; 0
/// stores every object on its own, as format 2 did.
public struct CompressionSettings: Sendable, Equatable {
    /// Level 4 rather than zstd's usual 3: on the benchmark's table data it stores 1.5% less
    /// (0.946 of pg_dump -Fc's size against 0.960) for a quarter more compression CPU, paid
    /// once per upload, while every restore downloads the smaller objects.
    public static let defaultZstdLevel = 4
    public var zstdLevel: Int
    public var packBelow: Int

    public init(environment: [String: String]) {
        zstdLevel = environment["DPM_ZSTD_LEVEL"].flatMap(Int.init).map { min(max($0, 1), 19) } ?? Self.defaultZstdLevel
        packBelow = environment["DPM_PACK_BELOW"].flatMap(Int.init).map { min(max($0, 0), ChunkerParameters.standard.maximum) }
            ?? ChunkerParameters.standard.minimum
    }
}

/// Where remote objects are cached once verified: `$XDG_CACHE_HOME/dpm`, or `~/.cache/dpm`.
public struct CacheSettings: Sendable, Equatable {
    public var root: String

    public init(root: String) { self.root = root }

    public init(environment: [String: String]) {
        if let base = environment["XDG_CACHE_HOME"], base.hasPrefix("/") {
            root = "\(base)/dpm"
        } else {
            root = "\(homeDirectory(environment))/.cache/dpm"
        }
    }
}

/// DPM_SANITIZE_KEY: the secret that keys the sanitize rules (empty: unset). Only in the
/// environment, never in a project file, so that it is never committed.
/// DPM_SANITIZE_LEAK_CHECK_LIMIT: how many distinct original values the leak check keeps.
public struct SanitizeSettings: Sendable, Equatable {
    public var key: String?
    public var leakCheckLimit: Int
    /// Why DPM_SANITIZE_LEAK_CHECK_LIMIT was not used, for the upload to refuse with.
    public var leakCheckLimitProblem: String?

    public init(key: String? = nil, leakCheckLimit: Int = LeakDigests.defaultLimit) {
        self.key = key
        self.leakCheckLimit = leakCheckLimit
    }

    public init(environment: [String: String]) {
        self.init(key: nonEmpty(environment["DPM_SANITIZE_KEY"]))
        if let text = nonEmpty(environment[LeakDigests.limitVariable]) {
            if let limit = Int(text), limit >= 1 {
                leakCheckLimit = limit
            } else {
                leakCheckLimitProblem = "\(LeakDigests.limitVariable) must be a whole number of values, at least 1, not \"\(text)\"."
            }
        }
    }
}

/// What dpm says about its work, and the hooks the crash and race tests stop or pause it with.
public struct Diagnostics: Sendable, Equatable {
    /// DPM_VERBOSE=1: a line per S3 request and retry on stderr.
    public var verbose: Bool
    /// DPM_STOP_AT=<step>: killed at that step, as a power cut would (empty: never).
    public var stopAt: String
    /// DPM_PAUSE_AT=<step>:<seconds>: waits at that step, at most 60 s. With DPM_PAUSE_UNTIL=<file>,
    /// DPM_PAUSE_AT=<step> instead creates `<file>.reached` there and waits until `<file>` exists
    /// (at most 300 s, then fails): a race test decides exactly when the process goes on.
    public var pauseAt: Pause?

    public struct Pause: Sendable, Equatable {
        public var step: String
        public var seconds: Double
        /// The file whose creation ends the pause (DPM_PAUSE_UNTIL); nil for a timed pause.
        public var untilFile: String?

        public static let longestWaitForFile = 300.0

        public init(step: String, seconds: Double, untilFile: String? = nil) {
            self.step = step
            self.seconds = seconds
            self.untilFile = untilFile
        }
    }

    public init(environment: [String: String]) {
        verbose = environment["DPM_VERBOSE"] == "1"
        stopAt = environment["DPM_STOP_AT"] ?? ""
        let until = nonEmpty(environment["DPM_PAUSE_UNTIL"])
        pauseAt = environment["DPM_PAUSE_AT"].flatMap { text -> Pause? in
            if let until, !text.isEmpty { return Pause(step: text, seconds: Pause.longestWaitForFile, untilFile: until) }
            guard let colon = text.lastIndex(of: ":"), let seconds = Double(text[text.index(after: colon)...]) else { return nil }
            return Pause(step: String(text[..<colon]), seconds: min(max(seconds, 0), 60))
        }
    }
}

/// An unset and an empty variable mean the same.
func nonEmpty(_ value: String?) -> String? {
    value.flatMap { $0.isEmpty ? nil : $0 }
}

/// The home folder that file defaults (the cache, the AWS files) are under.
func homeDirectory(_ environment: [String: String]) -> String {
    environment["HOME"] ?? NSHomeDirectory()
}
