/// Why a piece of DDL cannot be read, in words that finish the sentence "dpm cannot read
/// the dump's entry …: <reason>".
struct DDLFailure: Error, Equatable {
    let reason: String
}

/// Reads the tokens of one piece of pg_dump's DDL from left to right, within `end`.
struct DDLCursor {
    let sql: SQLTokens
    private(set) var position: Int
    let end: Int

    init(_ sql: SQLTokens) {
        self.init(sql, sql.tokens.indices)
    }

    init(_ sql: SQLTokens, _ range: Range<Int>) {
        self.sql = sql
        position = range.lowerBound
        end = range.upperBound
    }

    var atEnd: Bool { position >= end }

    func peek(_ offset: Int = 0) -> SQLToken? {
        position + offset < end ? sql.tokens[position + offset] : nil
    }

    /// Whether the next tokens are the keywords `words` (in any case); if so, they are read.
    mutating func take(_ words: String...) -> Bool {
        for (offset, word) in words.enumerated() where peek(offset)?.isKeyword(word) != true { return false }
        position += words.count
        return true
    }

    /// Whether the next token is one of the keywords `words`, and not a name after a dot (a
    /// user type is schema-qualified: `public.generated` is a name).
    func atKeyword(_ words: [String]) -> Bool {
        guard let token = peek(), token.kind == .word else { return false }
        if position > 0, sql.tokens[position - 1].isSymbol(".") { return false }
        return words.contains { token.isKeyword($0) }
    }

    mutating func takeSymbol(_ symbol: String) -> Bool {
        guard peek()?.isSymbol(symbol) == true else { return false }
        position += 1
        return true
    }

    mutating func expect(_ words: String...) throws(DDLFailure) {
        for word in words {
            guard take(word) else { throw failure("\(word)") }
        }
    }

    /// A name, quoted or not.
    mutating func name() throws(DDLFailure) -> String {
        guard let token = peek(), let name = token.name else { throw failure("a name") }
        position += 1
        return name
    }

    /// `name.name…`, each part a name.
    mutating func qualifiedName() throws(DDLFailure) -> [String] {
        var parts = [try name()]
        while peek()?.isSymbol(".") == true {
            position += 1
            parts.append(try name())
        }
        return parts
    }

    /// The words a type name written by `format_type` goes on with after its first name:
    /// `character varying`, `double precision`, `timestamp(3) with time zone`, `interval day to second`.
    static let typeNameWords: Set<String> = [
        "varying", "precision", "with", "without", "time", "zone", "year", "month", "day", "hour", "minute", "second", "to",
    ]

    /// A type as `format_type` writes it: a name (schema-qualified outside pg_catalog), the
    /// words of a built-in type's name, a modifier in parentheses, `[]`. Returns it as written.
    mutating func typeName() throws(DDLFailure) -> String {
        let start = position
        _ = try qualifiedName()
        while let token = peek() {
            if token.isSymbol("(") || token.isSymbol("[") {
                try skipElement()
            } else if token.kind == .word, Self.typeNameWords.contains(token.text.lowercased()) {
                position += 1
            } else {
                break
            }
        }
        return sql.text(start..<position)
    }

    /// `schema.table`: pg_dump qualifies every table it names.
    mutating func table() throws(DDLFailure) -> QualifiedTable {
        let start = position
        let parts = try qualifiedName()
        guard parts.count == 2 else {
            position = start
            throw failure("a schema-qualified table name")
        }
        return QualifiedTable(schema: parts[0], table: parts[1])
    }

    /// Reads `( … )` (brackets and parentheses nested inside) and returns the tokens between.
    mutating func group() throws(DDLFailure) -> Range<Int> {
        guard peek()?.isSymbol("(") == true else { throw failure("\"(\"") }
        let close = try closing(from: position)
        defer { position = close + 1 }
        return (position + 1)..<close
    }

    /// Reads one token, or a whole bracketed group.
    mutating func skipElement() throws(DDLFailure) {
        guard let token = peek() else { return }
        if token.isSymbol("(") || token.isSymbol("[") {
            position = try closing(from: position) + 1
        } else {
            position += 1
        }
    }

    /// Reads tokens to the end of the statement (a `;` outside brackets, or the end), and the `;`.
    mutating func skipStatement() throws(DDLFailure) {
        while let token = peek(), !token.isSymbol(";") { try skipElement() }
        _ = takeSymbol(";")
    }

    /// Reads the `;` that ends a statement, or the end.
    mutating func expectEndOfStatement() throws(DDLFailure) {
        guard atEnd || takeSymbol(";") else { throw failure("the end of the statement") }
    }

    /// The index of the bracket closing the one at `open`.
    func closing(from open: Int) throws(DDLFailure) -> Int {
        var depth = 0
        var index = open
        while index < end {
            let token = sql.tokens[index]
            if token.isSymbol("(") || token.isSymbol("[") {
                depth += 1
            } else if token.isSymbol(")") || token.isSymbol("]") {
                depth -= 1
                if depth == 0 { return index }
            }
            index += 1
        }
        throw DDLFailure(reason: "its SQL has a bracket that is not closed")
    }

    /// `range` split at the commas outside brackets.
    func split(_ range: Range<Int>) throws(DDLFailure) -> [Range<Int>] {
        guard !range.isEmpty else { return [] }
        var parts: [Range<Int>] = []
        var start = range.lowerBound
        var index = range.lowerBound
        while index < range.upperBound {
            let token = sql.tokens[index]
            if token.isSymbol("(") || token.isSymbol("[") {
                index = try closing(from: index)
            } else if token.isSymbol(",") {
                parts.append(start..<index)
                start = index + 1
            }
            index += 1
        }
        parts.append(start..<range.upperBound)
        guard parts.allSatisfy({ !$0.isEmpty }) else { throw DDLFailure(reason: "its SQL has a list with an empty element") }
        return parts
    }

    /// A failure at the cursor: `expected` is what pg_dump writes there.
    func failure(_ expected: String) -> DDLFailure {
        guard let token = peek() else { return DDLFailure(reason: "its SQL ends where pg_dump writes \(expected)") }
        let found = token.kind == .quotedName ? "\"\(token.text)\"" : token.text
        return DDLFailure(reason: "its SQL has \(found.count > 40 ? String(found.prefix(40)) + "…" : found) where pg_dump writes \(expected)")
    }
}

extension SQLTokens {
    /// The statements of the SQL (split at `;` outside brackets), each without its `;`.
    func statements() throws(DDLFailure) -> [Range<Int>] {
        var cursor = DDLCursor(self)
        var statements: [Range<Int>] = []
        while !cursor.atEnd {
            let start = cursor.position
            try cursor.skipStatement()
            let end = cursor.position - (tokens[cursor.position - 1].isSymbol(";") ? 1 : 0)
            if end > start { statements.append(start..<end) }
        }
        return statements
    }
}
