import Foundation

/// A migration file read as psql will run it: its statements (split where psql splits them,
/// outside strings, quoted names, dollar quotes, comments, parentheses and `BEGIN ATOMIC`
/// bodies) and whether it must run without a wrapping transaction.
///
/// A file runs without one when it has the line `-- dpm:no-transaction` (for statements
/// such as `CREATE INDEX CONCURRENTLY` that PostgreSQL refuses inside a transaction block)
/// or when it controls its own transactions (`BEGIN`, `START TRANSACTION`, `COMMIT`, `END`,
/// `ROLLBACK`, `ABORT`, `PREPARE TRANSACTION` as statements): wrapped in one, its `COMMIT`
/// would end dpm's transaction early and a later failure could not be rolled back.
public struct MigrationScript: Sendable {
    public static let noTransactionMarker = "-- dpm:no-transaction"

    public struct Statement: Sendable, Equatable {
        /// Lines of the first character and of the terminating semicolon (psql reports the latter).
        public var startLine: Int
        public var endLine: Int
        /// The statement's opening, on one line, for messages.
        public var summary: String
        var control: Control?
    }

    enum Control: Sendable, Equatable {
        case open, close, other
    }

    public enum Mode: Sendable, Equatable {
        case transaction
        /// Why the file runs without a wrapping transaction, for the output.
        case noTransaction(reason: String)
    }

    public var statements: [Statement]
    public var mode: Mode
    /// A transaction the file opens and never ends: its statements would be rolled back when
    /// psql exits, silently.
    public var unclosedBegin: Statement?

    public static func read(_ path: String, relative: String) throws -> MigrationScript {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw DPMError.system("Cannot read the migration \(relative).")
        }
        return MigrationScript(String(decoding: data, as: UTF8.self))
    }

    public init(_ text: String) {
        var lexer = Lexer(text)
        statements = lexer.statements()
        var open: Statement?
        for statement in statements {
            switch statement.control {
            case .open: open = statement
            case .close: open = nil
            default: break
            }
        }
        unclosedBegin = open
        if lexer.hasMarker {
            mode = .noTransaction(reason: "it has the line \(Self.noTransactionMarker)")
        } else if let first = statements.first(where: { $0.control != nil }) {
            mode = .noTransaction(reason: "it controls its own transactions: \(first.summary) at line \(first.startLine)")
        } else {
            mode = .transaction
        }
    }

    /// The statement psql reported failing at `line` (the line of its semicolon).
    public func statement(endingAt line: Int) -> (index: Int, statement: Statement)? {
        if let index = statements.firstIndex(where: { $0.endLine == line }) { return (index, statements[index]) }
        guard let index = statements.firstIndex(where: { $0.startLine <= line && line <= $0.endLine }) else { return nil }
        return (index, statements[index])
    }

    /// The first line whose statement did not complete when statement `failing` failed: the
    /// failing statement itself, or the `BEGIN` of the transaction block it was in (psql's
    /// session ends on the error, which rolls that block back).
    public func firstUndoneLine(failing: Int) -> Int {
        var blockStart: Int?
        for index in 0..<failing {
            switch statements[index].control {
            case .open: blockStart = index
            case .close: blockStart = nil
            default: break
            }
        }
        return statements[blockStart ?? failing].startLine
    }

    /// Splits SQL the way psql's lexer does, closely enough to find statement boundaries.
    struct Lexer {
        private let scalars: [Unicode.Scalar]
        private var position = 0
        private var line = 1
        private(set) var hasMarker = false

        init(_ text: String) { scalars = Array(text.unicodeScalars) }

        private func peek(_ offset: Int = 0) -> Unicode.Scalar? {
            position + offset < scalars.count ? scalars[position + offset] : nil
        }

        private mutating func advance() {
            if scalars[position] == "\n" { line += 1 }
            position += 1
        }

        private static func isIdentifier(_ c: Unicode.Scalar?) -> Bool {
            guard let c else { return false }
            return c == "_" || c == "$" || c.properties.isAlphabetic || ("0"..."9").contains(c) || c.value > 127
        }

        mutating func statements() -> [Statement] {
            var result: [Statement] = []
            var words: [String] = [], text = "", startLine: Int?, parens = 0, blocks = 0
            func finish(_ endLine: Int) {
                guard let start = startLine else { return }
                let summary = text.split(whereSeparator: { $0.isWhitespace }).joined(separator: " ")
                result.append(Statement(startLine: start, endLine: endLine,
                                        summary: summary.count > 72 ? String(summary.prefix(69)) + "..." : summary,
                                        control: Self.control(words)))
                words = []; text = ""; startLine = nil; parens = 0; blocks = 0
            }
            while let c = peek() {
                let here = position
                if c == "-", peek(1) == "-" {
                    var comment = ""
                    while let d = peek(), d != "\n" { comment.unicodeScalars.append(d); advance() }
                    if comment.trimmingCharacters(in: .whitespaces) == MigrationScript.noTransactionMarker { hasMarker = true }
                    continue
                }
                if c == "/", peek(1) == "*" {
                    var depth = 0
                    while let d = peek() {
                        if d == "/", peek(1) == "*" { depth += 1; advance(); advance(); continue }
                        if d == "*", peek(1) == "/" { depth -= 1; advance(); advance(); if depth == 0 { break }; continue }
                        advance()
                    }
                    continue
                }
                if c.properties.isWhitespace {
                    if startLine != nil { text.unicodeScalars.append(" ") }
                    advance()
                    continue
                }
                if startLine == nil { startLine = line }
                if c == ";", parens == 0, blocks == 0 {
                    let end = line
                    advance()
                    finish(end)
                    continue
                }
                if c == "'" {
                    let escapes = here > 0 && (scalars[here - 1] == "E" || scalars[here - 1] == "e")
                        && !(here > 1 && Self.isIdentifier(scalars[here - 2]))
                    advance()
                    while let d = peek() {
                        if escapes, d == "\\" { advance(); if peek() != nil { advance() }; continue }
                        advance()
                        if d == "'" { if peek() == "'" { advance(); continue }; break }
                    }
                } else if c == "\"" {
                    advance()
                    while let d = peek() {
                        advance()
                        if d == "\"" { if peek() == "\"" { advance(); continue }; break }
                    }
                } else if c == "$", !(here > 0 && Self.isIdentifier(scalars[here - 1])), let tag = dollarTag() {
                    for _ in tag { advance() }
                    while peek() != nil {
                        if matches(tag) { for _ in tag { advance() }; break }
                        advance()
                    }
                } else if Self.isIdentifier(c), !("0"..."9").contains(c) {
                    var word = ""
                    while let d = peek(), Self.isIdentifier(d) { word.unicodeScalars.append(d); advance() }
                    let upper = word.uppercased()
                    if words.count < 4 { words.append(upper) }
                    // psql's rule for SQL-standard bodies: in CREATE [OR REPLACE] FUNCTION|PROCEDURE,
                    // outside parentheses, BEGIN opens a block that END closes (CASE too, inside
                    // one), and a semicolon inside it does not end the statement.
                    if parens == 0, Self.definesRoutine(words) {
                        if upper == "BEGIN" || (upper == "CASE" && blocks > 0) { blocks += 1 }
                        if upper == "END", blocks > 0 { blocks -= 1 }
                    }
                    text += word
                    continue
                } else {
                    if c == "(" { parens += 1 }
                    if c == ")", parens > 0 { parens -= 1 }
                    advance()
                }
                text.unicodeScalars.append(contentsOf: scalars[here..<position])
            }
            finish(line)
            return result
        }

        /// `$tag$` starting at the current position (tag: a name without `$`, or empty).
        private func dollarTag() -> [Unicode.Scalar]? {
            var offset = 1
            while let c = peek(offset), c != "$" {
                guard c == "_" || c.properties.isAlphabetic || (offset > 1 && ("0"..."9").contains(c)) else { return nil }
                offset += 1
            }
            guard peek(offset) == "$" else { return nil }
            return Array(scalars[position...(position + offset)])
        }

        private func matches(_ tag: [Unicode.Scalar]) -> Bool {
            guard position + tag.count <= scalars.count else { return false }
            return Array(scalars[position..<(position + tag.count)]) == tag
        }

        private static func definesRoutine(_ words: [String]) -> Bool {
            guard words.first == "CREATE", words.count > 1 else { return false }
            let routine: Set<String> = ["FUNCTION", "PROCEDURE"]
            return routine.contains(words[1]) || (words.count > 3 && words[1] == "OR" && words[2] == "REPLACE" && routine.contains(words[3]))
        }

        private static func control(_ words: [String]) -> Control? {
            switch words.first {
            case "BEGIN": return .open
            case "START": return words.dropFirst().first == "TRANSACTION" ? .open : nil
            case "COMMIT", "ROLLBACK", "ABORT":
                if words.dropFirst().first == "PREPARED" { return .other }
                if words.first == "ROLLBACK", words.dropFirst().first == "TO" { return nil }
                return .close
            case "END": return .close
            case "PREPARE": return words.dropFirst().first == "TRANSACTION" ? .close : nil
            default: return nil
            }
        }
    }
}
