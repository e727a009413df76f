import Foundation

public enum ProfileKind: String, Sendable, CaseIterable, Codable {
    /// Schema and seed data live in git under db/migration-base/<name>/.
    case clean
    /// A dataset the team shares, e.g. a sanitized production copy.
    case shared
    /// One customer's data: handle with care.
    case customer
}

/// pg_dump table patterns (`-t`, `-T`, `--exclude-table-data`).
public struct TableFilters: Sendable, Equatable, Codable {
    public var include: [String]
    public var exclude: [String]
    public var excludeData: [String]

    public init(include: [String] = [], exclude: [String] = [], excludeData: [String] = []) {
        self.include = include
        self.exclude = exclude
        self.excludeData = excludeData
    }

    public var isEmpty: Bool { include.isEmpty && exclude.isEmpty && excludeData.isEmpty }

    /// The union of two filter sets, keeping order and dropping repeats.
    public func merged(with other: TableFilters) -> TableFilters {
        func union(_ a: [String], _ b: [String]) -> [String] {
            var seen = Set<String>()
            return (a + b).filter { seen.insert($0).inserted }
        }
        return TableFilters(include: union(include, other.include), exclude: union(exclude, other.exclude),
                            excludeData: union(excludeData, other.excludeData))
    }
}

/// `profiles/<name>/profile.yaml`: written by people.
public struct ProfileSpec: Sendable, Equatable {
    public var kind: ProfileKind
    public var description: String
    public var tables: TableFilters
    /// The `sanitize:` section: nil when the profile has none (its uploads are not sanitized).
    public var sanitize: SanitizeRules?

    public init(kind: ProfileKind, description: String = "", tables: TableFilters = TableFilters(), sanitize: SanitizeRules? = nil) {
        self.kind = kind
        self.description = description
        self.tables = tables
        self.sanitize = sanitize
    }

    public static func load(path: String, displayName: String) throws -> ProfileSpec {
        let file = try YAMLFile(path: path, displayName: displayName)
        try file.rejectUnknownKeys(allowed: ["kind", "description", "tables", "sanitize"])
        guard let kindText = try file.string("kind") else {
            throw DPMError.invalidInput("\(displayName) has no kind; add \"kind: clean\", \"kind: shared\" or \"kind: customer\".")
        }
        guard let kind = ProfileKind(rawValue: kindText) else {
            throw file.error("kind", "kind must be clean, shared or customer, not \"\(kindText)\"")
        }
        var spec = ProfileSpec(kind: kind, description: try file.string("description") ?? "")
        if let node = file.root["tables"] {
            guard let mapping = node.mapping else {
                throw file.error("tables", "\"tables\" must be a mapping with include, exclude and exclude_data lists")
            }
            for (key, value) in mapping {
                guard let list = value.stringList else {
                    throw file.error("tables", "tables.\(key.string ?? "?") must be a list of table patterns")
                }
                switch key.string {
                case "include": spec.tables.include = list
                case "exclude": spec.tables.exclude = list
                case "exclude_data": spec.tables.excludeData = list
                default: throw file.error("tables", "unknown setting \"tables.\(key.string ?? "?")\" (known: include, exclude, exclude_data)")
                }
            }
        }
        if let node = file.root["sanitize"] {
            guard kind != .clean else {
                throw file.error("sanitize", "a clean profile has no sanitize rules: its schema and seed data are written by the team, in git")
            }
            spec.sanitize = try SanitizeRules(node: node, displayName: displayName)
        }
        return spec
    }

    public func yaml() -> String {
        var text = "kind: \(kind.rawValue)\n"
        text += "description: \(yamlQuoted(description))\n"
        if tables.isEmpty {
            text += "# tables:                 # pg_dump patterns, e.g.\n#   exclude_data: [\"audit_log\"]\n"
        } else {
            text += "tables:\n"
            for (key, list) in [("include", tables.include), ("exclude", tables.exclude), ("exclude_data", tables.excludeData)] where !list.isEmpty {
                text += "  \(key): [\(list.map(yamlQuoted).joined(separator: ", "))]\n"
            }
        }
        if kind != .clean, sanitize == nil {
            // A shared or customer profile is usually production data: show where its rules go.
            text += """
                # sanitize:               # rules applied to every row before it is stored (README: "Sanitizing")
                #   columns:
                #     public.users.email: email
                #     public.users.notes: "null"
                #   truncate: [public.sessions]

                """
        }
        return text
    }
}
