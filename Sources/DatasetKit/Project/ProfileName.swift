/// A validated profile name: lowercase letters, digits, `-` and `_`, 1 to 63 characters, starting with a letter.
public struct ProfileName: Hashable, Comparable, Sendable, CustomStringConvertible {
    public let value: String

    public static let rule = "a profile name is 1 to 63 characters of lowercase letters, digits, \"-\" and \"_\", starting with a letter"

    public init(_ value: String) throws {
        guard Self.isValid(value) else {
            throw DPMError.invalidInput("\"\(value)\" is not a valid profile name: \(Self.rule).")
        }
        self.value = value
    }

    public static func isValid(_ value: String) -> Bool {
        let bytes = Array(value.utf8)
        guard (1...63).contains(bytes.count), let first = bytes.first, (97...122).contains(first) else { return false }
        return bytes.allSatisfy { (97...122).contains($0) || (48...57).contains($0) || $0 == 45 || $0 == 95 }
    }

    public var description: String { value }
    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.value < rhs.value }
}
