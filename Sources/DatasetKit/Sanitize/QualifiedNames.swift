/// `schema.table`, as the sanitize rules and pg_dump's COPY lines name a table (names as the
/// catalog spells them, quotes removed).
public struct QualifiedTable: Hashable, Sendable, Comparable, CustomStringConvertible {
    public var schema: String
    public var table: String

    public init(schema: String, table: String) {
        self.schema = schema
        self.table = table
    }

    /// `schema.table` of two plain identifiers, or nil. Names that need quotes (dots, spaces,
    /// quotes inside) are not accepted in the rules yet.
    public init?(parsing text: String) {
        guard let parts = SQLIdentifier.plainNames(text, count: 2) else { return nil }
        self.init(schema: parts[0], table: parts[1])
    }

    public var description: String { "\(schema).\(table)" }

    public static func < (lhs: QualifiedTable, rhs: QualifiedTable) -> Bool {
        (lhs.schema, lhs.table) < (rhs.schema, rhs.table)
    }
}

/// `schema.table.column`: the column a sanitize rule applies to.
public struct QualifiedColumn: Hashable, Sendable, Comparable, CustomStringConvertible {
    public var table: QualifiedTable
    public var column: String

    public init(table: QualifiedTable, column: String) {
        self.table = table
        self.column = column
    }

    /// `schema.table.column` of three plain identifiers, or nil (see `QualifiedTable(parsing:)`).
    public init?(parsing text: String) {
        guard let parts = SQLIdentifier.plainNames(text, count: 3) else { return nil }
        self.init(table: QualifiedTable(schema: parts[0], table: parts[1]), column: parts[2])
    }

    public var description: String { "\(table).\(column)" }

    public static func < (lhs: QualifiedColumn, rhs: QualifiedColumn) -> Bool {
        (lhs.table, lhs.column) < (rhs.table, rhs.column)
    }
}

enum SQLIdentifier {
    /// `count` plain names joined by dots, or nil.
    static func plainNames(_ text: String, count: Int) -> [String]? {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        return parts.count == count && parts.allSatisfy(isPlain) ? parts : nil
    }

    /// A name written without quotes: a letter or `_` first, then letters, digits, `_` or `$`.
    /// Upper case is allowed and kept, so that a rule can name a column created with quotes.
    static func isPlain(_ name: String) -> Bool {
        guard let first = name.unicodeScalars.first, isLetter(first) || first == "_" else { return false }
        return name.unicodeScalars.allSatisfy { isLetter($0) || $0 == "_" || $0 == "$" || ("0"..."9").contains($0) }
    }

    private static func isLetter(_ scalar: Unicode.Scalar) -> Bool {
        scalar.properties.isAlphabetic
    }
}
