import Foundation

/// What a dataset has applied, against the repository's migration files.
public struct MigrationComparison: Codable, Sendable, Equatable {
    /// The tracking table compared (nil: the dataset has none, so every file is pending).
    public var table: String?
    public var tool: String?
    public var appliedCount: Int
    public var latest: String?
    /// Files whose migration the dataset lacks, in order. Nil when the tool's versions are
    /// not file versions (alembic revisions, django app names) and cannot be compared.
    public var pending: [MigrationFile]?
    /// Versions the dataset has that no file has: squashed into the base, or from another branch.
    public var unknown: [String]

    /// Compares the tracking table that matters (`preferred`, or the first one present)
    /// with the files.
    public static func compare(_ states: [MigrationState], files: [MigrationFile], preferred: String?) -> MigrationComparison {
        let state = states.first { $0.table == preferred } ?? states.first
        guard let state else {
            return MigrationComparison(table: nil, tool: nil, appliedCount: 0, latest: nil, pending: files, unknown: [])
        }
        let latest = state.versions.max { MigrationVersion.less($0, $1) }
        var result = MigrationComparison(table: state.table, tool: state.tool, appliedCount: state.versions.count,
                                         latest: latest, pending: nil, unknown: [])
        if ["alembic", "django"].contains(state.tool ?? "") { return result }
        let fileVersions = Set(files.map(\.version))
        if state.latestOnly == true {
            guard let latest else { result.pending = files; return result }
            result.pending = files.filter { MigrationVersion.less(latest, $0.version) }
            result.unknown = fileVersions.contains(latest) || files.isEmpty ? [] : [latest]
            return result
        }
        // knex records file names ("20260101_init.js"): compare their leading digits.
        let applied = state.versions.map { state.tool == "knex" ? (MigrationVersion.leadingDigits($0) ?? $0) : $0 }
        let appliedSet = Set(applied)
        result.pending = files.filter { !appliedSet.contains($0.version) }
        result.unknown = applied.filter { !fileVersions.contains($0) }
        return result
    }
}
