/// The pure comparisons of `dpm diff`: two sides' tables, media files and migration versions.
/// Contents are compared by object id, never by size: two ids are equal only for equal bytes.
public enum DiffComparison {
    /// Every table either side captured; changed means another data object id.
    public static func tables(_ before: [String: TableFigures], _ after: [String: TableFigures], comparedBy: String) -> TableDiff {
        let rows = Set(before.keys).union(after.keys).sorted().map { table in
            TableDifference(table: table, status: status(before[table], after[table]) { $0.id == $1.id },
                            before: before[table], after: after[table])
        }
        return TableDiff(comparedBy: comparedBy, added: rows.count(where: { $0.status == .added }), removed: rows.count(where: { $0.status == .removed }),
                         changed: rows.count(where: { $0.status == .changed }), unchanged: rows.count(where: { $0.status == .unchanged }), tables: rows)
    }

    /// The media files that differ; changed means another content id or other permission bits
    /// (a restore would set either).
    public static func media(_ before: [String: MediaFigures], _ after: [String: MediaFigures]) -> MediaDiff {
        let all = Set(before.keys).union(after.keys).sorted().map { path in
            MediaDifference(path: path, status: status(before[path], after[path]) { $0.id == $1.id && $0.mode == $1.mode },
                            before: before[path], after: after[path])
        }
        return MediaDiff(compared: true, notCompared: nil, added: all.count(where: { $0.status == .added }), removed: all.count(where: { $0.status == .removed }),
                         changed: all.count(where: { $0.status == .changed }), unchanged: all.count(where: { $0.status == .unchanged }),
                         files: all.filter { $0.status != .unchanged })
    }

    /// Per tracking table of either side (in `MigrationDetector.knownTables` order, then any
    /// other by name): the versions only one side has applied.
    public static func migrations(_ before: [MigrationState], _ after: [MigrationState]) -> [MigrationDifference] {
        let names = Set(before.map(\.table)).union(after.map(\.table)).sorted { a, b in
            let order = (MigrationDetector.knownTables.firstIndex(of: a) ?? .max, MigrationDetector.knownTables.firstIndex(of: b) ?? .max)
            return order.0 != order.1 ? order.0 < order.1 : a < b
        }
        return names.map { table in
            let old = before.first { $0.table == table }, new = after.first { $0.table == table }
            let oldVersions = old?.versions ?? [], newVersions = new?.versions ?? []
            let oldSet = Set(oldVersions), newSet = Set(newVersions)
            return MigrationDifference(
                table: table, tool: new?.tool ?? old?.tool, appliedBefore: oldVersions.count, appliedAfter: newVersions.count,
                latestBefore: latest(oldVersions), latestAfter: latest(newVersions),
                onlyBefore: oldVersions.filter { !newSet.contains($0) }, onlyAfter: newVersions.filter { !oldSet.contains($0) })
        }
    }

    private static func latest(_ versions: [String]) -> String? {
        versions.max { MigrationVersion.less($0, $1) }
    }

    private static func status<T>(_ before: T?, _ after: T?, same: (T, T) -> Bool) -> DiffStatus {
        switch (before, after) {
        case (nil, _): .added
        case (_, nil): .removed
        case let (old?, new?): same(old, new) ? .unchanged : .changed
        }
    }
}
