/// A profile's rules checked against the database they will read: every table and column
/// they name exists, every rule fits its column's type, and each table's rules are known,
/// those of partitioned tables applying to all their partitions.
public struct SanitizePlan: Sendable {
    public let rules: SanitizeRules
    public let key: SanitizeKey
    public let catalog: TableColumns

    public init(rules: SanitizeRules, key: SanitizeKey, catalog: TableColumns, database: String) throws {
        self.rules = rules
        self.key = key
        self.catalog = catalog
        for table in rules.tables.sorted() {
            guard let columns = catalog.columns[table] else {
                let named = rules.truncates(table) ? "\(table) in sanitize.truncate"
                    : (rules.columns.keys.filter { $0.table == table } + rules.leakCheckSkip.filter { $0.table == table }).sorted()[0].description
                throw DPMError.invalidInput("The sanitize rules name \(named), but database \(database) has no table \(table).")
            }
            _ = try TableSanitizer(table: table, columns: columns.map(\.name), rules: rules, key: key)
            for column in rules.leakCheckSkip where column.table == table && !columns.contains(where: { $0.name == column.column }) {
                throw DPMError.invalidInput("sanitize.leak_check_skip names \(column), which is not a column of \(table).")
            }
            for column in columns {
                try rules.columns[QualifiedColumn(table: table, column: column.name)]?
                    .checkFits(QualifiedColumn(table: table, column: column.name), type: column.type)
            }
        }
    }

    /// The rules read against `database`'s catalog and checked as every upload checks them
    /// before reading any data (existence, types, restorability; classification is the caller's).
    public static func checked(_ rules: SanitizeRules, key: SanitizeKey, server: DatabaseQuery, database: String) throws -> SanitizePlan {
        let plan = try SanitizePlan(rules: rules, key: key, catalog: try TableColumns.read(from: server, database: database), database: database)
        try plan.checkRestorable(database: database, server: server)
        return plan
    }

    /// The rules read against the catalog of a dump (`dumpName` in messages); `value:` texts
    /// are cast on `server`'s `database`, where the dump's own types (an enum, a domain) do not
    /// exist: those are taken unchecked, and a restore would report them.
    static func checked(_ rules: SanitizeRules, key: SanitizeKey, catalog: TableColumns, dumpName: String,
                        server: DatabaseQuery, database: String) throws -> SanitizePlan {
        let plan = try SanitizePlan(rules: rules, key: key, catalog: catalog, database: dumpName)
        try plan.checkRestorable(database: database, server: server, typesMayBeMissing: true)
        return plan
    }

    /// The tables whose rows an upload with `filters` stores, in order.
    public func storedTables(_ filters: TableFilters) -> [QualifiedTable] {
        catalog.columns.keys.filter { filters.storesRows(of: $0) }.sorted()
    }

    /// The rules that apply to `table`: its own, then those of the partitioned tables it is a
    /// partition of, written as rules of `table`.
    public func rules(for table: QualifiedTable) -> SanitizeRules {
        var columns: [QualifiedColumn: SanitizeRule] = [:]
        var truncates = false
        for owner in [table] + (catalog.ancestors[table] ?? []) {
            for (name, rule) in rules.rules(of: owner) where columns[QualifiedColumn(table: table, column: name)] == nil {
                columns[QualifiedColumn(table: table, column: name)] = rule
            }
            truncates = truncates || rules.truncates(owner)
        }
        return SanitizeRules(columns: columns, truncate: truncates ? [table] : [])
    }

    /// The table whose rules a table's data follows, as messages name it: a partition's
    /// partitioned root, or the table itself.
    public func ruleOwner(of table: QualifiedTable) -> QualifiedTable { catalog.ancestors[table]?.last ?? table }

    /// Columns of `table` (or of the partitioned tables it belongs to) in `leak_check_skip`.
    public func leakCheckSkip(for table: QualifiedTable) -> Set<String> {
        let owners = Set([table] + (catalog.ancestors[table] ?? []))
        return Set(rules.leakCheckSkip.filter { owners.contains($0.table) }.map(\.column))
    }

    /// The sanitizer of one table's data; nil when no rule changes it.
    public func sanitizer(for table: QualifiedTable) throws -> TableSanitizer? {
        let tableRules = rules(for: table)
        guard !tableRules.isEmpty, let columns = catalog.columns[table] else { return nil }
        let sanitizer = try TableSanitizer(table: table, columns: columns.map(\.name), types: columns.map(\.type), rules: tableRules, key: key)
        return sanitizer.changesData ? sanitizer : nil
    }

    /// `--exclude-table-data` patterns for the truncated tables and their partitions, quoted
    /// so that pg_dump takes each name literally.
    public var excludedData: [String] {
        let tables = Set(rules.truncate.flatMap { catalog.family(of: $0) })
        return tables.sorted().map(Self.literalPattern(of:))
    }

    /// A pg_dump table pattern that matches `table` alone: each name quoted, so taken literally.
    static func literalPattern(of table: QualifiedTable) -> String { "\(quoted(table.schema)).\(quoted(table.table))" }

    private static func quoted(_ name: String) -> String { "\"\(name.replacingOccurrences(of: "\"", with: "\"\""))\"" }

    /// What the snapshot records of these rules.
    public func record(scripts: [SanitizeScriptRecord], leakCheck: LeakCheckRecord) -> SanitizeRecord {
        SanitizeRecord(rules: rules.digest, algorithm: SanitizeRules.algorithmVersion, keyFingerprint: key.fingerprint,
                       columns: rules.columns.values.filter { $0 != .keep }.count,
                       truncated: Set(rules.truncate).sorted().map(\.description), scripts: scripts, leakCheck: leakCheck)
    }
}
