/// The tables `restore --table` and `--exclude-table` choose from a snapshot. Patterns are
/// those of the profile's table filters (`TableFilters.pattern`: `schema.table` or a bare
/// name, `*` and `?`), matched against the tables the snapshot defines; a partitioned table
/// stands for its partitions, which hold its rows.
enum TableSelection {
    static func choose(include: [String], exclude: [String], from tables: SnapshotTables, snapshotID: String) throws -> [QualifiedTable] {
        let defined = tables.defined
        func matches(_ pattern: String, option: String) throws -> [QualifiedTable] {
            let found = defined.filter { TableFilters.pattern(pattern, matches: $0) }
            guard found.isEmpty else { return found }
            throw DPMError.notFound("No table of snapshot \(snapshotID) matches \(option) \(pattern)\(hint(pattern, among: defined)); nothing was changed.")
        }
        var chosen = Set<QualifiedTable>()
        for pattern in include {
            for table in try matches(pattern, option: "--table") { chosen.formUnion(tables.catalog.family(of: table)) }
        }
        for pattern in exclude {
            for table in try matches(pattern, option: "--exclude-table") { chosen.subtract(tables.catalog.family(of: table)) }
        }
        let leaves = chosen.filter { tables.catalog.partitionKeys[$0] == nil }.sorted()
        guard !leaves.isEmpty else {
            throw DPMError.invalidInput("--exclude-table leaves none of the tables --table chose; nothing was changed.")
        }
        if let empty = leaves.first(where: { tables.data[$0] == nil }) {
            throw DPMError.invalidInput("Snapshot \(snapshotID) holds no rows of \(empty) (its profile's filters left its data out), so they cannot be restored; leave it out with --exclude-table \(empty); nothing was changed.")
        }
        return leaves
    }

    /// "; close names: public.re_rates, public.re_zones", or a few of the snapshot's tables
    /// when none is close.
    static func hint(_ pattern: String, among tables: [QualifiedTable]) -> String {
        guard !tables.isEmpty else { return " (it holds no tables)" }
        // A qualified pattern is compared with qualified names, allowing the typos of its table part.
        let qualified = pattern.contains(".")
        let limit = max(1, (qualified ? pattern.split(separator: ".").last.map(String.init) ?? pattern : pattern).count / 3)
        let close = tables.map { table in
            (table, NearestName.editDistance(pattern, qualified ? table.description : table.table))
        }.filter { $0.1 <= limit }.sorted { ($0.1, $0.0) < ($1.1, $1.0) }.prefix(3).map(\.0.description)
        if !close.isEmpty { return " (close names: \(close.joined(separator: ", ")))" }
        let shown = tables.prefix(8).map(\.description).joined(separator: ", ")
        return " (its tables: \(shown)\(tables.count > 8 ? ", and \(tables.count - 8) more" : ""))"
    }
}
