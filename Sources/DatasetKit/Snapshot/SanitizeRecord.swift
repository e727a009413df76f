/// What a snapshot's `sanitize` field says about how its data was sanitized: enough to tell
/// whether two snapshots hold the same outputs (same rules, algorithm and key), never the key.
public struct SanitizeRecord: Codable, Sendable, Equatable {
    /// `SanitizeRules.digest` of the profile's rules.
    public var rules: String
    /// `SanitizeRules.algorithmVersion` of the dpm that applied them.
    public var algorithm: Int
    /// `SanitizeKey.fingerprint`: a keyed hash of a constant.
    public var keyFingerprint: String
    /// Columns whose values a rule changed (not `keep`).
    public var columns: Int
    /// Tables stored with their schema and no rows.
    public var truncated: [String]
    /// The SQL scripts run on a scratch copy before the dump, with the SHA-256 of each one's text.
    public var scripts: [SanitizeScriptRecord]
    /// The leak check: how many original values it looked for, in how many stored fields.
    public var leakCheck: LeakCheckRecord

    public init(rules: String, algorithm: Int, keyFingerprint: String, columns: Int, truncated: [String],
                scripts: [SanitizeScriptRecord], leakCheck: LeakCheckRecord) {
        self.rules = rules
        self.algorithm = algorithm
        self.keyFingerprint = keyFingerprint
        self.columns = columns
        self.truncated = truncated
        self.scripts = scripts
        self.leakCheck = leakCheck
    }
}

public struct SanitizeScriptRecord: Codable, Sendable, Equatable {
    public var path: String
    public var sha256: String

    public init(path: String, sha256: String) {
        self.path = path
        self.sha256 = sha256
    }
}

public struct LeakCheckRecord: Codable, Sendable, Equatable {
    /// Distinct original values (and email addresses) of the sanitized columns.
    public var originals: Int
    /// Fields of the stored tables compared with them.
    public var fieldsChecked: Int64

    public init(originals: Int, fieldsChecked: Int64) {
        self.originals = originals
        self.fieldsChecked = fieldsChecked
    }
}
