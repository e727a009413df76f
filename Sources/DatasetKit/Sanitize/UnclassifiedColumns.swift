/// A column whose name looks personal and that no rule classifies (not even `keep`), with
/// the rule dpm suggests for it.
public struct UnclassifiedColumn: Sendable, Equatable, Codable {
    public var column: String
    public var type: String
    /// The `sensitive` pattern its name matches.
    public var pattern: String
    public var suggestion: String
}

extension SanitizePlan {
    /// The unclassified columns of `tables` (those whose rows are stored; truncated ones are
    /// left out). A partition's
    /// columns are reported as its partitioned root's, where its rules belong. Boolean
    /// columns are left out: `phone_verified` carries no personal data.
    public func unclassified(in tables: [QualifiedTable]) -> [UnclassifiedColumn] {
        var found: [String: UnclassifiedColumn] = [:]
        for table in tables {
            let owner = ruleOwner(of: table)
            let tableRules = rules(for: table)
            if !tableRules.truncate.isEmpty { continue }
            let classified = tableRules.columns
            for column in catalog.columns[table] ?? [] where column.type != "boolean" {
                guard classified[QualifiedColumn(table: table, column: column.name)] == nil,
                      let pattern = rules.sensitive.match(column.name) else { continue }
                let name = QualifiedColumn(table: owner, column: column.name)
                found[name.description] = UnclassifiedColumn(
                    column: name.description, type: column.type, pattern: pattern,
                    suggestion: Self.suggestion(for: name, type: column.type, pattern: pattern).description)
            }
        }
        return found.keys.sorted().map { found[$0]! }
    }

    /// Refuses an upload that leaves a personal-looking column unclassified, naming each one.
    public func requireClassified(_ tables: [QualifiedTable], profile: ProfileName) throws {
        let columns = unclassified(in: tables)
        guard !columns.isEmpty else { return }
        let list = columns.map { "\($0.column) (like \"\($0.pattern)\")" }.joined(separator: ", ")
        throw DPMError.invalidInput(
            "profiles/\(profile.value)/profile.yaml leaves \(columns.count == 1 ? "a column" : "\(columns.count) columns") that \(columns.count == 1 ? "looks" : "look") personal without a sanitize rule: \(list); give \(columns.count == 1 ? "it" : "each") a rule under sanitize.columns (keep if it is not personal), or run dpm sanitize check \(profile.value) for suggestions."
        )
    }

    /// The rule a column's name and type suggest; `null` when nothing better fits the type.
    static func suggestion(for column: QualifiedColumn, type: String, pattern: String) -> SanitizeRule {
        let words = SensitiveNames.words(of: column.column)
        let guess: SanitizeRule
        switch pattern {
        case "email", "mail": guess = .email
        case "phone", "mobile": guess = .phone
        case "name":
            guess = words.contains("first") || words.contains("given") ? .firstName
                : words.contains("last") || words.contains("family") || words.contains("surname") ? .lastName : .name
        case "ip": guess = .ip
        case "birth", "dob": guess = .dateShift(days: 30)
        case "ssn", "iban", "account_number", "card": guess = .mask(keepLast: 4)
        case "token", "secret", "password", "passwd", "salt", "api_key": guess = .hash
        case "lat", "lng", "geo": guess = .intNoise(percent: 1)
        default: guess = .text
        }
        return (try? guess.checkFits(column, type: type)) == nil ? .null : guess
    }
}

extension UnclassifiedColumn {
    /// A block to paste into profile.yaml: the suggestions under `sanitize: columns:`.
    public static func yamlSuggestions(_ columns: [UnclassifiedColumn]) -> String {
        var text = "sanitize:\n  columns:\n"
        for column in columns {
            text += "    \(column.column): \"\(column.suggestion)\"   # \(column.type), looks like \"\(column.pattern)\"\n"
        }
        return text
    }
}
