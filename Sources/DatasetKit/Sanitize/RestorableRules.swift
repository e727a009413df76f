/// Rules whose outputs PostgreSQL would refuse when the snapshot is restored: refused before
/// anything is read, naming the column, rather than found by the next developer's restore.
extension SanitizePlan {
    /// Rules that keep distinct inputs distinct (and so keep unique indexes buildable).
    static func keepsDistinct(_ rule: SanitizeRule?) -> Bool {
        switch rule {
        case nil, .keep, .null, .email, .uuid, .hash: true
        default: false
        }
    }

    /// `typesMayBeMissing`: `database` is not the one the catalog describes, so a type it lacks is no fault of the rule.
    func checkRestorable(database: String, server: DatabaseQuery, typesMayBeMissing: Bool = false) throws {
        for (column, rule) in rules.columns.sorted(by: { $0.key < $1.key }) {
            guard let definition = catalog.columns[column.table]?.first(where: { $0.name == column.column }) else { continue }
            if rule == .null, definition.notNull {
                throw DPMError.invalidInput("The sanitize rule \"null\" for \(column) cannot be restored: the column is NOT NULL (use value:TEXT or a rule that writes a value).")
            }
            if case .value(let text) = rule, ColumnTypeKind(definition.type) != .text {
                do {
                    _ = try server.query("SELECT CAST($1 AS \(definition.type))", parameters: [text], in: database)
                } catch let error as DPMError where typesMayBeMissing && error.sqlState == "42704" {
                    // undefined_object: the dump's own type.
                } catch {
                    throw DPMError.invalidInput("The sanitize rule \"\(rule)\" for \(column) writes a value its type \(definition.type) does not accept.")
                }
            }
            if rule != .keep, partitionKey(of: column.table).contains(column.column) {
                throw DPMError.invalidInput("The sanitize rule \"\(rule)\" for \(column) would move rows out of their partitions: \(column.column) is a partition key (give it keep).")
            }
        }
        for (table, sets) in catalog.unique.sorted(by: { $0.key < $1.key }) {
            let tableRules = rules(for: table).columns
            for set in sets {
                for name in set {
                    let rule = tableRules[QualifiedColumn(table: table, column: name)]
                    guard Self.keepsDistinct(rule) else {
                        let owner = ruleOwner(of: table)
                        throw DPMError.invalidInput("The sanitize rule \"\(rule!)\" for \(owner).\(name) can give two rows one value, and \(owner) has a unique index on (\(set.joined(separator: ", "))): use email, uuid or hash there, or null.")
                    }
                }
            }
        }
        try checkForeignKeys()
    }

    /// The partition key columns that apply to `table`: its own and its ancestors'.
    private func partitionKey(of table: QualifiedTable) -> Set<String> {
        Set(([table] + (catalog.ancestors[table] ?? [])).flatMap { catalog.partitionKeys[$0] ?? [] })
    }

    /// Both sides of a foreign key must sanitize alike (the same rule gives the same output for
    /// the same input in every table), and a referenced table may not be emptied under rows
    /// that refer to it.
    private func checkForeignKeys() throws {
        func unchanged(_ rule: SanitizeRule?) -> SanitizeRule? { rule == .keep ? nil : rule }
        for key in catalog.foreignKeys.sorted(by: { ($0.table, $0.columns.joined(separator: ",")) < ($1.table, $1.columns.joined(separator: ",")) }) {
            let from = rules(for: key.table)
            let to = rules(for: key.referenced)
            if !to.truncate.isEmpty, from.truncate.isEmpty,
               !key.columns.allSatisfy({ from.columns[QualifiedColumn(table: key.table, column: $0)] == SanitizeRule.null }) {
                throw DPMError.invalidInput("sanitize.truncate empties \(ruleOwner(of: key.referenced)), which \(ruleOwner(of: key.table)) refers to by a foreign key on (\(key.columns.joined(separator: ", "))): truncate \(ruleOwner(of: key.table)) too, or give those columns the rule null.")
            }
            for (column, referenced) in zip(key.columns, key.referencedColumns) {
                let rule = unchanged(from.columns[QualifiedColumn(table: key.table, column: column)])
                let target = unchanged(to.columns[QualifiedColumn(table: key.referenced, column: referenced)])
                guard rule != target, rule != SanitizeRule.null else { continue }
                let describe = { (rule: SanitizeRule?) in rule.map { "\"\($0)\"" } ?? "no rule" }
                throw DPMError.invalidInput("\(ruleOwner(of: key.table)).\(column) refers to \(ruleOwner(of: key.referenced)).\(referenced) by a foreign key, so both need one rule (now \(describe(rule)) and \(describe(target))): the same rule gives the same output for the same input in every table.")
            }
        }
    }
}
