import Foundation

/// What `profile list`, `profile show` and `status` say about a profile.
public struct ProfileSummary: Codable, Sendable {
    public var name: String
    public var kind: ProfileKind
    public var description: String
    public var snapshot: String?
    public var createdAt: String?
    public var ageSeconds: Int?
    public var message: String?
    public var size: Int64?
    public var storedSize: Int64?
    public var tables: Int?
    public var rows: Int64?
    public var mediaFiles: Int?
    public var migrations: [MigrationState]?
    /// Encoding, collation and settings of the database the snapshot came from.
    public var database: DatabaseProperties?
    public var filters: TableFilters
    /// Whether profile.yaml has a sanitize: section.
    public var hasSanitizeRules: Bool = false
    /// How the pinned snapshot was sanitized; nil when it was not (or there is none).
    public var sanitize: SanitizeRecord?
    /// True when the pinned snapshot's rules differ from profile.yaml's now.
    public var sanitizeRulesChanged: Bool?
    /// Set when the profile's files cannot be read; the other fields are then partial.
    public var problem: String?

    /// Summaries of every profile; a broken one is reported, not fatal, so the rest still show.
    public static func all(in project: Project, now: Date) -> [ProfileSummary] {
        project.profileNames().map { name in
            do {
                return try summary(of: try ProfileName(name), in: project, now: now)
            } catch {
                return ProfileSummary(name: name, kind: .shared, description: "", filters: TableFilters(), problem: error.userMessage)
            }
        }
    }

    public static func summary(of name: ProfileName, in project: Project, now: Date) throws -> ProfileSummary {
        let spec = try project.profile(name)
        var summary = ProfileSummary(name: name.value, kind: spec.kind, description: spec.description, filters: spec.tables)
        summary.hasSanitizeRules = spec.sanitize != nil
        if let snapshot = try project.manifest(name) {
            summary.snapshot = snapshot.id
            summary.createdAt = snapshot.createdAt
            summary.ageSeconds = Timestamp.parse(snapshot.createdAt).map { Int(now.timeIntervalSince($0)) }
            summary.message = snapshot.message
            summary.size = snapshot.sizes.total
            summary.storedSize = snapshot.sizes.stored
            summary.tables = snapshot.tableCount
            summary.rows = snapshot.rowCount
            summary.mediaFiles = snapshot.media?.files ?? 0
            summary.migrations = snapshot.migrations
            summary.database = snapshot.source.properties
            summary.sanitize = snapshot.sanitize
            if let record = snapshot.sanitize { summary.sanitizeRulesChanged = record.rules != spec.sanitize?.digest }
        }
        return summary
    }

    /// "sanitized" or "NOT sanitized" for a pinned snapshot of a shared or customer profile;
    /// nil for clean profiles (written by the team) and profiles without a snapshot.
    public var sanitizedLabel: String? {
        guard kind != .clean, snapshot != nil else { return nil }
        return sanitize == nil ? "NOT sanitized" : "sanitized"
    }
}

public enum Age {
    /// "3 minutes", "2 days": the largest whole unit.
    public static func format(seconds: Int) -> String {
        let units: [(Int, String)] = [(86400 * 365, "year"), (86400 * 30, "month"), (86400, "day"), (3600, "hour"), (60, "minute")]
        for (size, name) in units where seconds >= size {
            let count = seconds / size
            return "\(count) \(name)\(count == 1 ? "" : "s")"
        }
        return "\(max(0, seconds)) second\(seconds == 1 ? "" : "s")"
    }
}
