/// The columns an index key or a partition key depends on, read from its SQL as PostgreSQL
/// writes it (`pg_get_indexdef`, `pg_get_partkeydef`, and pg_dump, which uses them): a plain
/// column, or every column an expression such as `lower((email)::text)` reads. A rule that
/// changes any of them can make two keys equal or move a row to another partition, so both
/// the live catalog and the one read from a dump keep them all, in order of first mention.
enum KeyColumns {
    /// The columns of one key element: `email`, `"Line" DESC NULLS LAST`, `name COLLATE "C" text_ops`,
    /// `lower((email)::text)`, `((a + b))`. `columns` are all the table's columns (generated ones too).
    static func of(element range: Range<Int>, in sql: SQLTokens, columns: Set<String>) throws(DDLFailure) -> [String] {
        var cursor = DDLCursor(sql, range)
        guard let first = cursor.peek() else { throw DDLFailure(reason: "its SQL has a key with an empty element") }
        let next = cursor.peek(1)
        if let name = first.name, !(next?.isSymbol("(") ?? false), !(next?.isSymbol(".") ?? false) {
            guard columns.contains(name) else { throw DDLFailure(reason: "its key names \(Self.quoted(name)), which is not a column of the table") }
            return [name]
        }
        // An expression: a function call as written, or anything else in parentheses; what
        // follows it (COLLATE, an operator class, DESC) is not part of it.
        if !first.isSymbol("(") { _ = try cursor.qualifiedName() }
        let inside = try cursor.group()
        return try references(in: inside, of: sql, columns: columns)
    }

    /// The columns of a key element given on its own, as `pg_get_indexdef(index, column, false)` writes it.
    static func of(elementText text: String, columns: Set<String>) throws(DDLFailure) -> [String] {
        let sql = try SQLTokens(parsingDDL: text)
        return try of(element: sql.tokens.indices, in: sql, columns: columns)
    }

    /// The columns of a partition key: `RANGE (created_at)`, `LIST (lower(region))`, `HASH (a, b)`,
    /// as `pg_get_partkeydef` writes it and pg_dump after PARTITION BY.
    static func ofPartitionKey(_ text: String, columns: Set<String>) throws(DDLFailure) -> [String] {
        let sql = try SQLTokens(parsingDDL: text)
        var cursor = DDLCursor(sql)
        guard cursor.take("RANGE") || cursor.take("LIST") || cursor.take("HASH") else {
            throw cursor.failure("RANGE, LIST or HASH")
        }
        let elements = try cursor.split(try cursor.group())
        guard cursor.atEnd else { throw cursor.failure("the end of the partition key") }
        return try merged(elements.map { element throws(DDLFailure) in try of(element: element, in: sql, columns: columns) })
    }

    /// The columns of a key's elements in order, each once.
    static func merged(_ elements: [[String]]) -> [String] {
        var seen = Set<String>()
        return elements.joined().filter { seen.insert($0).inserted }
    }

    /// The columns an expression reads. A name is a column unless it is a function's or a
    /// type's, qualified (schema, field), or a keyword: PostgreSQL writes keywords in upper
    /// case and a column name without quotes only when it is all lower case, so a word is
    /// a column only as it is written. (An unquoted column named like a lower-case keyword
    /// that appears in the expression, say `zone`, counts too: more columns, never fewer.)
    private static func references(in range: Range<Int>, of sql: SQLTokens, columns: Set<String>) throws(DDLFailure) -> [String] {
        var found: [String] = []
        var index = range.lowerBound
        func token(_ at: Int) -> SQLToken? { range.contains(at) ? sql.tokens[at] : nil }
        while index < range.upperBound {
            let current = sql.tokens[index]
            if current.isSymbol("::") {
                index = skipType(from: index + 1, in: range, of: sql)
                continue
            }
            if current.isKeyword("COLLATE") {
                index += 1
                while let part = token(index), part.name != nil {
                    index += 1
                    guard token(index)?.isSymbol(".") == true else { break }
                    index += 1
                }
                continue
            }
            defer { index += 1 }
            let before = token(index - 1), after = token(index + 1)
            guard before?.isSymbol(".") != true, after?.isSymbol("(") != true, after?.isSymbol(".") != true else { continue }
            switch current.kind {
            case .quotedName where columns.contains(current.text):
                found.append(current.text)
            case .word where current.name == current.text && columns.contains(current.text) && !["true", "false"].contains(current.text):
                found.append(current.text)
            default:
                continue
            }
        }
        return merged([found])
    }

    /// The index after the type name that starts at `start` (after `::`).
    private static func skipType(from start: Int, in range: Range<Int>, of sql: SQLTokens) -> Int {
        var index = start
        func token(_ at: Int) -> SQLToken? { range.contains(at) ? sql.tokens[at] : nil }
        while let part = token(index), part.name != nil {
            index += 1
            guard token(index)?.isSymbol(".") == true else { break }
            index += 1
        }
        let cursor = DDLCursor(sql, range)
        while let next = token(index) {
            if next.kind == .word, DDLCursor.typeNameWords.contains(next.text) {
                index += 1
            } else if next.isSymbol("(") || next.isSymbol("["), let close = try? cursor.closing(from: index) {
                index = close + 1
            } else {
                break
            }
        }
        return index
    }

    static func quoted(_ name: String) -> String { "\"\(name.replacingOccurrences(of: "\"", with: "\"\""))\"" }
}
