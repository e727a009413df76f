/// `dpm sanitize check`: what an upload of a profile would refuse in its rules, without
/// reading any table data: rules naming missing tables or columns, rules that do not fit
/// their column, and personal-looking columns without a rule, with suggested rules.
public struct SanitizeCheck: Sendable {
    public struct Report: Codable, Sendable {
        public var profile: String
        public var database: String
        /// Whether profile.yaml has a sanitize: section at all.
        public var hasRules: Bool
        public var tables: Int
        public var unclassified: [UnclassifiedColumn]
        /// The suggestions as a block to paste into profile.yaml; empty when there are none.
        public var suggestions: String
    }

    let project: Project
    let server: DatabaseQuery
    let database: String
    let settings: SanitizeSettings

    public init(project: Project, server: DatabaseQuery, database: String, settings: SanitizeSettings) {
        self.project = project
        self.server = server
        self.database = database
        self.settings = settings
    }

    /// Checks against the database, or, given `dump`, against the catalog of a custom or
    /// directory dump read directly (`server` then only casts `value:` texts).
    public func run(_ profile: ProfileName, dump: String? = nil, decompression: StreamDecompression? = nil) throws -> Report {
        let spec = try project.profile(profile)
        guard spec.kind != .clean else {
            throw DPMError.invalidInput("\(profile.value) is a clean profile: its schema and seed data are written by the team, in git, and have no sanitize rules.")
        }
        // Checking builds no outputs, so the key only matters when it is set (and then must be valid).
        let key = try settings.key.map { try SanitizeKey(secret: $0) } ?? SanitizeKey(secret: "dpm sanitize check: no outputs")
        let rules = spec.sanitize ?? SanitizeRules()
        let plan: SanitizePlan
        var checked = database
        if let dump, let decompression {
            let archive = try Self.archive(dump, decompression: decompression)
            plan = try SanitizePlan.checked(rules, key: key, catalog: try archive.catalog(), dumpName: archive.databaseName,
                                            server: server, database: database)
            checked = "the dump \(archive.dump.name)"
        } else {
            plan = try SanitizePlan.checked(rules, key: key, server: server, database: database)
        }
        let tables = plan.storedTables(spec.tables)
        let unclassified = plan.unclassified(in: tables)
        return Report(profile: profile.value, database: checked, hasRules: spec.sanitize != nil, tables: tables.count,
                      unclassified: unclassified,
                      suggestions: unclassified.isEmpty ? "" : UnclassifiedColumn.yamlSuggestions(unclassified))
    }

    private static func archive(_ path: String, decompression: StreamDecompression) throws -> DirectArchive {
        let dump = try DumpFile.inspect(path, decompression: decompression)
        guard dump.format != .plain else {
            throw DPMError.invalidInput("\(dump.name) is a plain SQL dump, whose tables only a database can tell: load it into one and check with --from (sanitize check reads custom and directory dumps itself).")
        }
        let direct = try DirectArchive.direct(dump, filters: TableFilters(), scripts: false, decompression: decompression)
        guard let archive = direct.archive else {
            throw DPMError.invalidInput("dpm cannot read \(dump.name) itself (\(direct.reason ?? "its archive version \(dump.archive?.version ?? "?") is not one dpm reads")): restore it into a database and check with --from.")
        }
        return archive
    }
}
