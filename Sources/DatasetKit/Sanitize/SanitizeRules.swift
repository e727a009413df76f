import Foundation
import Yams

/// A profile's `sanitize:` section: a rule per column, tables whose rows are dropped, and SQL
/// scripts to run on a scratch copy first.
public struct SanitizeRules: Sendable, Equatable {
    /// Bumped whenever any rule's output for a given key and input changes, so that a snapshot
    /// says which outputs it holds and dedup never mixes two versions silently.
    public static let algorithmVersion = 1

    public var columns: [QualifiedColumn: SanitizeRule]
    public var truncate: [QualifiedTable]
    public var scripts: [String]
    /// The column names that must have a rule (`sanitize.sensitive:`, or the default list).
    public var sensitive: SensitiveNames
    /// Columns whose whole values the leak check does not compare with the originals (their
    /// email addresses still are): product names and the like that share common words with a
    /// sanitized column.
    public var leakCheckSkip: Set<QualifiedColumn> = []

    public init(columns: [QualifiedColumn: SanitizeRule] = [:], truncate: [QualifiedTable] = [], scripts: [String] = [],
                sensitive: SensitiveNames = SensitiveNames()) {
        self.columns = columns
        self.truncate = truncate
        self.scripts = scripts
        self.sensitive = sensitive
    }

    public var isEmpty: Bool { columns.isEmpty && truncate.isEmpty && scripts.isEmpty }

    /// Every table the rules name: each must exist in what is uploaded.
    public var tables: Set<QualifiedTable> { Set(columns.keys.map(\.table)).union(truncate).union(leakCheckSkip.map(\.table)) }

    /// The rules of one table, by column name.
    public func rules(of table: QualifiedTable) -> [String: SanitizeRule] {
        var rules: [String: SanitizeRule] = [:]
        for (column, rule) in columns where column.table == table { rules[column.column] = rule }
        return rules
    }

    public func truncates(_ table: QualifiedTable) -> Bool { truncate.contains(table) }

    /// The rules as one text in a fixed order: what `digest` hashes.
    public var canonicalText: String {
        var text = "dpm sanitize rules v\(Self.algorithmVersion)\n"
        for column in columns.keys.sorted() { text += "column\t\(column)\t\(columns[column]!)\n" }
        for table in Set(truncate).sorted() { text += "truncate\t\(table)\n" }
        for script in scripts { text += "script\t\(script)\n" }
        for column in leakCheckSkip.sorted() { text += "leak-check-skip\t\(column)\n" }
        return text
    }

    /// SHA-256 of `canonicalText`: equal for equal rules, whatever their order in the file.
    /// The scripts enter by path only; their contents are the upload's to add.
    public var digest: String { SHA256Hex.of(Data(canonicalText.utf8)) }
}

extension SanitizeRules {
    static let knownKeys = ["columns", "leak_check_skip", "scripts", "sensitive", "truncate"]

    /// The rules of a `sanitize:` node of `displayName` (e.g. "profiles/x/profile.yaml").
    public init(node: Node, displayName: String) throws {
        func error(_ node: Node, _ problem: String) -> DPMError {
            DPMError.invalidInput("\(displayName) line \(node.mark?.line ?? 1): \(problem).")
        }
        guard let mapping = node.mapping else {
            throw error(node, "\"sanitize\" must be a mapping of columns, truncate, scripts, sensitive and leak_check_skip")
        }
        self.init()
        for (key, value) in mapping {
            switch key.string {
            case "columns":
                guard let rules = value.mapping else {
                    throw error(value, "sanitize.columns must be a mapping of schema.table.column: rule")
                }
                for (name, ruleNode) in rules {
                    let text = name.string ?? ""
                    guard let column = QualifiedColumn(parsing: text) else {
                        throw error(name, "\"\(text)\" in sanitize.columns is not schema.table.column (three plain names joined by dots, e.g. public.users.email; names that need quotes are not supported yet)")
                    }
                    guard columns[column] == nil else { throw error(name, "sanitize.columns names \(column) twice") }
                    if let mapping = ruleNode.mapping {
                        columns[column] = try Self.jsonRule(mapping, for: column, error: error)
                        continue
                    }
                    guard let ruleText = ruleNode.scalar?.string else {
                        throw error(ruleNode, "the rule for \(column) must be a text such as email or \"date-shift:30\"")
                    }
                    columns[column] = try SanitizeRule(parsing: ruleText, for: column)
                }
            case "truncate":
                guard let list = value.stringList else { throw error(value, "sanitize.truncate must be a list of schema.table names") }
                for text in list {
                    guard let table = QualifiedTable(parsing: text) else {
                        throw error(value, "\"\(text)\" in sanitize.truncate is not schema.table (two plain names joined by a dot, e.g. public.sessions)")
                    }
                    if !truncate.contains(table) { truncate.append(table) }
                }
            case "scripts":
                guard let list = value.stringList else { throw error(value, "sanitize.scripts must be a list of SQL file paths") }
                scripts = list
            case "leak_check_skip":
                guard let list = value.stringList else { throw error(value, "sanitize.leak_check_skip must be a list of schema.table.column names") }
                for text in list {
                    guard let column = QualifiedColumn(parsing: text) else {
                        throw error(value, "\"\(text)\" in sanitize.leak_check_skip is not schema.table.column (e.g. public.products.title)")
                    }
                    leakCheckSkip.insert(column)
                }
            case "sensitive":
                guard let list = value.stringList, list.allSatisfy({ !SensitiveNames.words(of: $0).isEmpty }) else {
                    throw error(value, "sanitize.sensitive must be a list of column-name patterns such as email or api_key")
                }
                sensitive = SensitiveNames(patterns: list)
            default:
                throw error(key, "unknown setting \"sanitize.\(key.string ?? "?")\" (known: \(Self.knownKeys.joined(separator: ", ")))")
            }
        }
    }

    /// `json:` and its mapping of paths to rules.
    private static func jsonRule(_ mapping: Node.Mapping, for column: QualifiedColumn,
                                 error: (Node, String) -> DPMError) throws -> SanitizeRule {
        guard mapping.count == 1, let (key, value) = mapping.first, key.string == "json", let paths = value.mapping, !paths.isEmpty else {
            throw error(mapping.first?.key ?? Node(""), "the rule for \(column) must be a text such as email, or json: with a mapping of paths to rules")
        }
        var rules: [JSONPathRule] = []
        for (pathNode, ruleNode) in paths {
            let path = pathNode.string ?? ""
            guard let ruleText = ruleNode.scalar?.string else {
                throw error(ruleNode, "the json rule for \(column) at \(path) must be a text such as email")
            }
            let rule = try SanitizeRule(parsing: ruleText, for: column)
            guard JSONPathRule.allowed(rule) else {
                throw error(ruleNode, "the json rule for \(column) at \(path) cannot be \(rule) (paths without a rule are kept as they are)")
            }
            guard let pathRule = JSONPathRule(path: path, rule: rule) else {
                throw error(pathNode, "\"\(path)\" in the json rule for \(column) is not a path of keys joined by dots (* for any key or array element)")
            }
            guard !rules.contains(where: { $0.path == pathRule.path }) else { throw error(pathNode, "the json rule for \(column) names \(path) twice") }
            rules.append(pathRule)
        }
        return .json(rules.sorted())
    }

    /// The rules of a YAML text holding the `sanitize:` section's mapping.
    public init(yaml: String, displayName: String) throws {
        let node: Node?
        do {
            node = try Yams.compose(yaml: yaml)
        } catch let error as YamlError {
            throw DPMError.invalidInput("\(displayName) is not valid YAML: \(YAMLFile.describe(error)).")
        }
        guard let node else { self.init(); return }
        try self.init(node: node, displayName: displayName)
    }
}
