/// `json:`: rules for values at paths inside a json or jsonb value. A path is keys joined by
/// dots, `*` standing for any key or any array element (`contacts.*.email`). A string at a
/// path gets its rule applied to its text; a number gets `int-noise` as a number and any other
/// rule's output as a string; `true`, `false` and `null` stay; an object or array at a path is
/// replaced only by `null` or `value:`. Everything else is copied byte for byte.
public struct JSONPathRule: Sendable, Hashable, Comparable, CustomStringConvertible {
    public enum Part: Sendable, Hashable {
        case key(String)
        case any
    }

    public var path: [Part]
    public var rule: SanitizeRule

    public init?(path text: String, rule: SanitizeRule) {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard !parts.isEmpty, parts.allSatisfy({ !$0.isEmpty }) else { return nil }
        path = parts.map { $0 == "*" ? .any : .key(String($0)) }
        self.rule = rule
    }

    public var pathText: String {
        path.map { if case .key(let name) = $0 { name } else { "*" } }.joined(separator: ".")
    }

    public var description: String { "\(pathText)=\(rule)" }

    public static func < (lhs: JSONPathRule, rhs: JSONPathRule) -> Bool { lhs.pathText < rhs.pathText }

    /// Whether the value at `location` (keys, nil for an array element) is this rule's.
    func matches(_ location: [String?]) -> Bool {
        guard location.count == path.count else { return false }
        return zip(path, location).allSatisfy { part, step in
            if case .key(let name) = part { return step == name }
            return true
        }
    }

    /// The rules a path may have: those of a single value.
    static func allowed(_ rule: SanitizeRule) -> Bool {
        switch rule {
        case .keep, .json: false
        default: true
        }
    }
}
