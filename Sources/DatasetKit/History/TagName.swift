/// A validated tag name: 1 to 100 ASCII letters, digits, `.`, `_` and `-`, starting with a
/// letter. Snapshot ids (and the beginnings of ids that `pin` accepts) start with a digit, so
/// a tag never reads as one; the rest keeps a name one plain segment of a store key.
public struct TagName: Hashable, Comparable, Sendable, CustomStringConvertible {
    public let value: String

    public static let rule = "a tag name is 1 to 100 letters, digits, \".\", \"_\" and \"-\", starting with a letter (so that it never looks like a snapshot id)"

    public init(_ value: String) throws {
        guard Self.isValid(value) else {
            throw DPMError.invalidInput("\"\(value)\" is not a valid tag name: \(Self.rule).")
        }
        self.value = value
    }

    public static func isValid(_ value: String) -> Bool {
        let bytes = Array(value.utf8)
        guard (1...100).contains(bytes.count), let first = bytes.first, isLetter(first) else { return false }
        return bytes.allSatisfy { isLetter($0) || (48...57).contains($0) || $0 == 46 || $0 == 95 || $0 == 45 }
    }

    private static func isLetter(_ byte: UInt8) -> Bool { (65...90).contains(byte) || (97...122).contains(byte) }

    public var description: String { value }
    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.value < rhs.value }
}
