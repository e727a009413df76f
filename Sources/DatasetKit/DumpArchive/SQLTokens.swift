/// One token of SQL as PostgreSQL's lexer would split it: enough of the lexer to read the DDL
/// pg_dump writes (names, quoted names, string constants of every kind, comments, symbols).
struct SQLToken: Equatable, Sendable {
    enum Kind: Equatable, Sendable {
        /// A keyword or a name written without quotes.
        case word
        /// A name in double quotes.
        case quotedName
        /// A string constant ('…', E'…', $tag$…$tag$, B'…', X'…', N'…'), kept as written.
        case string
        case number
        /// Punctuation or an operator: `(`, `)`, `[`, `]`, `,`, `;`, `.`, `::`, `=`, `||`, …
        case symbol
    }

    var kind: Kind
    /// As written, except for a quoted name: the name, without its quotes and with `""` as `"`.
    var text: String
    /// Where it is in the SQL, in Unicode scalars.
    var range: Range<Int>

    /// The name a word or a quoted name stands for: PostgreSQL folds unquoted names to lower case.
    var name: String? {
        switch kind {
        case .word: String(String.UnicodeScalarView(text.unicodeScalars.map { ("A"..."Z").contains($0) ? Unicode.Scalar($0.value + 32)! : $0 }))
        case .quotedName: text
        default: nil
        }
    }

    /// Whether it is the keyword `word` (unquoted, in any case).
    func isKeyword(_ word: String) -> Bool {
        kind == .word && text.uppercased() == word
    }

    func isSymbol(_ symbol: String) -> Bool { kind == .symbol && text == symbol }
}

/// SQL text as tokens, with the text between any two of them at hand.
struct SQLTokens: Sendable {
    let scalars: [Unicode.Scalar]
    let tokens: [SQLToken]

    /// Why SQL could not be split into tokens.
    struct Failure: Error, Equatable {
        let reason: String
    }

    init(_ sql: String) throws(Failure) {
        scalars = Array(sql.unicodeScalars)
        tokens = try Self.split(scalars)
    }

    /// The SQL from the start of token `range.lowerBound` to the end of token `range.upperBound - 1`, as written.
    func text(_ range: Range<Int>) -> String {
        guard !range.isEmpty else { return "" }
        let from = tokens[range.lowerBound].range.lowerBound, to = tokens[range.upperBound - 1].range.upperBound
        return String(String.UnicodeScalarView(scalars[from..<to]))
    }

    private static func split(_ scalars: [Unicode.Scalar]) throws(Failure) -> [SQLToken] {
        var tokens: [SQLToken] = []
        var position = 0
        func at(_ offset: Int) -> Unicode.Scalar? {
            position + offset < scalars.count ? scalars[position + offset] : nil
        }
        while position < scalars.count {
            let start = position
            let scalar = scalars[position]
            if scalar.properties.isWhitespace {
                position += 1
            } else if scalar == "-", at(1) == "-" {
                while position < scalars.count, scalars[position] != "\n" { position += 1 }
            } else if scalar == "/", at(1) == "*" {
                var depth = 0
                repeat {
                    guard position < scalars.count else { throw Failure(reason: "its SQL has a comment that is not closed") }
                    if scalars[position] == "/", at(1) == "*" {
                        depth += 1
                        position += 2
                    } else if scalars[position] == "*", at(1) == "/" {
                        depth -= 1
                        position += 2
                    } else {
                        position += 1
                    }
                } while depth > 0
            } else if scalar == "\"" {
                var name = String.UnicodeScalarView()
                position += 1
                while true {
                    guard position < scalars.count else { throw Failure(reason: "its SQL has a quoted name that is not closed") }
                    if scalars[position] == "\"" {
                        if at(1) == "\"" {
                            name.append("\"")
                            position += 2
                            continue
                        }
                        position += 1
                        break
                    }
                    name.append(scalars[position])
                    position += 1
                }
                guard !name.isEmpty else { throw Failure(reason: "its SQL has an empty quoted name") }
                tokens.append(SQLToken(kind: .quotedName, text: String(name), range: start..<position))
            } else if scalar == "'" || ("EeBbXxNn".unicodeScalars.contains(scalar) && at(1) == "'") {
                let backslashes = scalar == "E" || scalar == "e"
                position += scalar == "'" ? 1 : 2
                while true {
                    guard position < scalars.count else { throw Failure(reason: "its SQL has a string constant that is not closed") }
                    if backslashes, scalars[position] == "\\" {
                        position += 2
                    } else if scalars[position] == "'" {
                        position += 1
                        // '' inside a constant, or a constant continued on the next line.
                        if at(0) == "'" { position += 1 } else { break }
                    } else {
                        position += 1
                    }
                }
                tokens.append(SQLToken(kind: .string, text: Self.text(scalars, start..<position), range: start..<position))
            } else if scalar == "$", let tagEnd = dollarTagEnd(scalars, from: position) {
                let tag = Array(scalars[position..<tagEnd])
                position = tagEnd
                while true {
                    guard position + tag.count <= scalars.count else { throw Failure(reason: "its SQL has a dollar-quoted string that is not closed") }
                    if scalars[position] == "$", Array(scalars[position..<(position + tag.count)]) == tag {
                        position += tag.count
                        break
                    }
                    position += 1
                }
                tokens.append(SQLToken(kind: .string, text: Self.text(scalars, start..<position), range: start..<position))
            } else if isNameStart(scalar) {
                while position < scalars.count, isNamePart(scalars[position]) { position += 1 }
                tokens.append(SQLToken(kind: .word, text: Self.text(scalars, start..<position), range: start..<position))
            } else if ("0"..."9").contains(scalar) || (scalar == "." && at(1).map { ("0"..."9").contains($0) } == true) {
                while position < scalars.count, isNamePart(scalars[position]) || scalars[position] == "." {
                    // 1..2 is not a number with two points; "e-5" belongs to the number.
                    if scalars[position] == ".", at(1) == "." { break }
                    position += 1
                    if (scalars[position - 1] == "e" || scalars[position - 1] == "E"), at(0) == "-" || at(0) == "+" { position += 1 }
                }
                tokens.append(SQLToken(kind: .number, text: Self.text(scalars, start..<position), range: start..<position))
            } else if scalar == ":", at(1) == ":" {
                position += 2
                tokens.append(SQLToken(kind: .symbol, text: "::", range: start..<position))
            } else if "(),;.[]".unicodeScalars.contains(scalar) {
                position += 1
                tokens.append(SQLToken(kind: .symbol, text: String(scalar), range: start..<position))
            } else if operatorCharacters.unicodeScalars.contains(scalar) {
                while position < scalars.count, operatorCharacters.unicodeScalars.contains(scalars[position]) {
                    if (scalars[position] == "-" && at(1) == "-") || (scalars[position] == "/" && at(1) == "*") { break }
                    position += 1
                }
                tokens.append(SQLToken(kind: .symbol, text: Self.text(scalars, start..<position), range: start..<position))
            } else if scalar == "$" || scalar == ":" {
                // $1 parameters and a lone colon (array slices) are symbols too.
                position += 1
                while position < scalars.count, ("0"..."9").contains(scalars[position]) { position += 1 }
                tokens.append(SQLToken(kind: .symbol, text: Self.text(scalars, start..<position), range: start..<position))
            } else {
                throw Failure(reason: "its SQL has the character \"\(scalar)\", which SQL does not use")
            }
        }
        return tokens
    }

    private static let operatorCharacters = "+-*/<>=~!@#%^&|`?"

    private static func text(_ scalars: [Unicode.Scalar], _ range: Range<Int>) -> String {
        String(String.UnicodeScalarView(scalars[range]))
    }

    private static func isNameStart(_ scalar: Unicode.Scalar) -> Bool {
        ("a"..."z").contains(scalar) || ("A"..."Z").contains(scalar) || scalar == "_" || scalar.value >= 0x80
    }

    private static func isNamePart(_ scalar: Unicode.Scalar) -> Bool {
        isNameStart(scalar) || ("0"..."9").contains(scalar) || scalar == "$"
    }

    /// The end of `$tag$` starting at `start`, or nil when the `$` opens none (a parameter, say).
    private static func dollarTagEnd(_ scalars: [Unicode.Scalar], from start: Int) -> Int? {
        var position = start + 1
        if position < scalars.count, isNameStart(scalars[position]) {
            while position < scalars.count, isNamePart(scalars[position]), scalars[position] != "$" { position += 1 }
        }
        return position < scalars.count && scalars[position] == "$" ? position + 1 : nil
    }
}
