import Foundation

/// A transform file's statement with its `:batch_start` and `:batch_end` placeholders turned
/// into the parameters `$1` and `$2`, so the bounds are always bound, never pasted into SQL.
/// Placeholders inside string literals, quoted names, dollar-quoted bodies and comments are
/// left alone, as is the `::` of a cast.
public struct BatchStatement: Equatable, Sendable {
    public let sql: String

    public static let start = "batch_start"
    public static let end = "batch_end"

    public init(_ text: String, file: String) throws {
        var scanner = PlaceholderScanner(Array(text.utf8))
        let found = try scanner.rewrite(file: file)
        let missing = [Self.start, Self.end].filter { !found.contains($0) }
        guard missing.isEmpty else {
            throw DPMError.invalidInput("\(file)'s statement does not use \(missing.map { ":\($0)" }.joined(separator: " and ")); "
                                        + "it must select its rows with key >= :batch_start AND key < :batch_end.")
        }
        sql = String(decoding: scanner.output, as: UTF8.self)
    }
}

/// Walks SQL text byte by byte, knowing just enough of its lexical rules to tell code from
/// literals and comments.
private struct PlaceholderScanner {
    let input: [UInt8]
    var output: [UInt8] = []
    var index = 0

    init(_ input: [UInt8]) { self.input = input }

    private static let quote = UInt8(ascii: "'"), doubleQuote = UInt8(ascii: "\""), dollar = UInt8(ascii: "$"),
                       colon = UInt8(ascii: ":"), dash = UInt8(ascii: "-"), slash = UInt8(ascii: "/"), star = UInt8(ascii: "*"),
                       newline = UInt8(ascii: "\n"), backslash = UInt8(ascii: "\\")

    private func byte(at offset: Int) -> UInt8? { offset < input.count ? input[offset] : nil }

    private static func isIdentifierByte(_ byte: UInt8) -> Bool {
        (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z")) || (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z"))
            || (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")) || byte == UInt8(ascii: "_") || byte >= 0x80
    }

    private static func isDigit(_ byte: UInt8) -> Bool { byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") }

    /// Copies bytes up to and including `count` more.
    private mutating func copy(_ count: Int) {
        let end = min(index + count, input.count)
        output.append(contentsOf: input[index..<end])
        index = end
    }

    /// Rewrites the placeholders; returns the names it replaced.
    mutating func rewrite(file: String) throws -> Set<String> {
        var found: Set<String> = []
        while let current = byte(at: index) {
            let next = byte(at: index + 1)
            switch current {
            case Self.quote:
                // E'…' strings escape with backslashes; standard ones only double the quote.
                let escapes = index > 0 && (input[index - 1] == UInt8(ascii: "E") || input[index - 1] == UInt8(ascii: "e"))
                    && (index < 2 || !Self.isIdentifierByte(input[index - 2]))
                copyQuoted(Self.quote, backslashEscapes: escapes)
            case Self.doubleQuote:
                copyQuoted(Self.doubleQuote, backslashEscapes: false)
            case Self.dash where next == Self.dash:
                while let byte = byte(at: index), byte != Self.newline { copy(1) }
            case Self.slash where next == Self.star:
                copyBlockComment()
            case Self.dollar:
                if let next, Self.isDigit(next), index == 0 || !Self.isIdentifierByte(input[index - 1]) {
                    throw DPMError.invalidInput("\(file)'s statement uses the parameter $\(Character(UnicodeScalar(next))); dpm binds only :batch_start and :batch_end.")
                }
                copyDollarQuotedOrSign()
            case Self.colon where next == Self.colon:
                copy(2)
            case Self.colon:
                var end = index + 1
                while let byte = byte(at: end), Self.isIdentifierByte(byte) { end += 1 }
                let name = String(decoding: input[(index + 1)..<end], as: UTF8.self)
                switch name {
                case BatchStatement.start, BatchStatement.end:
                    output.append(contentsOf: Array((name == BatchStatement.start ? "$1" : "$2").utf8))
                    found.insert(name)
                    index = end
                case _ where name.hasPrefix("batch_"):
                    throw DPMError.invalidInput("\(file)'s statement uses :\(name), which dpm does not know; it binds :batch_start and :batch_end.")
                default:
                    copy(1)
                }
            default:
                copy(1)
            }
        }
        return found
    }

    private mutating func copyQuoted(_ delimiter: UInt8, backslashEscapes: Bool) {
        copy(1)
        while let current = byte(at: index) {
            if backslashEscapes, current == Self.backslash { copy(2); continue }
            if current == delimiter {
                // A doubled delimiter is one character of the literal.
                if byte(at: index + 1) == delimiter { copy(2); continue }
                copy(1)
                return
            }
            copy(1)
        }
    }

    /// Block comments nest in PostgreSQL.
    private mutating func copyBlockComment() {
        var depth = 0
        repeat {
            if byte(at: index) == Self.slash, byte(at: index + 1) == Self.star { depth += 1; copy(2); continue }
            if byte(at: index) == Self.star, byte(at: index + 1) == Self.slash { depth -= 1; copy(2); continue }
            copy(1)
        } while depth > 0 && index < input.count
    }

    /// `$tag$ … $tag$` (the tag may be empty); a `$` that opens no such quote is copied as it is.
    private mutating func copyDollarQuotedOrSign() {
        var end = index + 1
        while let byte = byte(at: end), Self.isIdentifierByte(byte), byte != Self.dollar { end += 1 }
        guard byte(at: end) == Self.dollar, index == 0 || !Self.isIdentifierByte(input[index - 1]) else { copy(1); return }
        let tag = Array(input[index...end])
        copy(tag.count)
        while index < input.count {
            if input[index] == Self.dollar, index + tag.count <= input.count, Array(input[index..<(index + tag.count)]) == tag {
                copy(tag.count)
                return
            }
            copy(1)
        }
    }
}
