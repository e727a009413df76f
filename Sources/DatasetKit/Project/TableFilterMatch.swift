import Foundation

/// Which tables pg_dump's `-t`, `-T` and `--exclude-table-data` patterns select, for checks
/// made before pg_dump runs (the sanitize rules' unclassified columns). Patterns follow psql:
/// `*` and `?` are wildcards, unquoted letters fold to lower case, `"…"` is taken literally,
/// and a pattern without a schema matches the table in any schema.
extension TableFilters {
    /// Whether pg_dump with these filters stores the rows of `table`.
    public func storesRows(of table: QualifiedTable) -> Bool {
        if !include.isEmpty, !include.contains(where: { Self.pattern($0, matches: table) }) { return false }
        return !(exclude + excludeData).contains { Self.pattern($0, matches: table) }
    }

    static func pattern(_ pattern: String, matches table: QualifiedTable) -> Bool {
        let parts = splitAtUnquotedDot(pattern)
        switch parts.count {
        case 1: return glob(parts[0], matches: table.table)
        case 2: return glob(parts[0], matches: table.schema) && glob(parts[1], matches: table.table)
        default: return false
        }
    }

    private static func splitAtUnquotedDot(_ pattern: String) -> [String] {
        var parts = [""]
        var quoted = false
        for character in pattern {
            if character == "\"" { quoted.toggle() }
            if character == ".", !quoted { parts.append("") } else { parts[parts.count - 1].append(character) }
        }
        return parts
    }

    /// One name part of a pattern against one name.
    private static func glob(_ part: String, matches name: String) -> Bool {
        var regex = "^"
        var quoted = false
        var characters = Array(part)[...]
        while let character = characters.popFirst() {
            if character == "\"" {
                if quoted, characters.first == "\"" {
                    characters.removeFirst()
                    regex += "\""
                } else {
                    quoted.toggle()
                }
            } else if !quoted, character == "*" {
                regex += ".*"
            } else if !quoted, character == "?" {
                regex += "."
            } else {
                regex += NSRegularExpression.escapedPattern(for: String(quoted ? character : Character(character.lowercased())))
            }
        }
        regex += "$"
        return name.range(of: regex, options: .regularExpression) != nil
    }
}
