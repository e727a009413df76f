/// Applies `json:` path rules to one JSON text, copying every byte no rule changes.
struct JSONRewriter {
    let rules: [(rule: JSONPathRule, keyed: KeyedRule)]
    static let maximumDepth = 256

    struct NotJSON: Error {}

    func rewrite(_ input: [UInt8]) throws -> [UInt8] {
        var scanner = Scanner(bytes: input, rules: rules)
        scanner.copySpace()
        try scanner.value(at: [], emitting: true)
        scanner.copySpace()
        guard scanner.position == input.count else { throw NotJSON() }
        return scanner.output
    }

    private struct Scanner {
        let bytes: [UInt8]
        let rules: [(rule: JSONPathRule, keyed: KeyedRule)]
        var position = 0
        var output: [UInt8] = []

        init(bytes: [UInt8], rules: [(rule: JSONPathRule, keyed: KeyedRule)]) {
            self.bytes = bytes
            self.rules = rules
            output.reserveCapacity(bytes.count)
        }

        var current: UInt8? { position < bytes.count ? bytes[position] : nil }

        mutating func copySpace() {
            while let byte = current, byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D {
                output.append(byte)
                position += 1
            }
        }

        mutating func expect(_ byte: UInt8) throws {
            guard current == byte else { throw NotJSON() }
            output.append(byte)
            position += 1
        }

        /// One value at `location`; `emitting` false parses it without writing it.
        mutating func value(at location: [String?], emitting: Bool) throws {
            guard location.count <= JSONRewriter.maximumDepth else { throw NotJSON() }
            let rule = emitting ? rules.first { $0.rule.matches(location) }?.keyed : nil
            let start = position
            let outputStart = output.count
            // An object or array at a rule's path: only null and value: replace it (and what is inside).
            let replacesWhole = rule.map { if case .null = $0.rule { true } else if case .value = $0.rule { true } else { false } } ?? false
            switch current {
            case UInt8(ascii: "{"): try object(at: location, emitting: emitting && !replacesWhole)
            case UInt8(ascii: "["): try array(at: location, emitting: emitting && !replacesWhole)
            case UInt8(ascii: "\""):
                let text = try string()
                if let rule {
                    output.removeSubrange(outputStart...)
                    Self.appendString(try rule.apply(to: text), to: &output)
                }
                return
            default:
                try scalar()
                if let rule, let first = bytes[start...].first, first == UInt8(ascii: "-") || (0x30...0x39).contains(first) {
                    let number = Array(bytes[start..<position])
                    output.removeSubrange(outputStart...)
                    let result = try rule.apply(to: number)
                    if case .intNoise = rule.rule, let result { output.append(contentsOf: result) } else { Self.appendString(result, to: &output) }
                }
                return
            }
            if replacesWhole, let rule {
                output.removeSubrange(outputStart...)
                Self.appendString(try rule.apply(to: nil), to: &output)
            }
        }

        mutating func object(at location: [String?], emitting: Bool) throws {
            try expect(UInt8(ascii: "{"))
            copySpace()
            if current == UInt8(ascii: "}") { return try expect(UInt8(ascii: "}")) }
            while true {
                copySpace()
                guard current == UInt8(ascii: "\"") else { throw NotJSON() }
                let key = String(decoding: try string(), as: UTF8.self)
                copySpace()
                try expect(UInt8(ascii: ":"))
                copySpace()
                try value(at: location + [key], emitting: emitting)
                copySpace()
                if current == UInt8(ascii: ",") { try expect(UInt8(ascii: ",")); continue }
                return try expect(UInt8(ascii: "}"))
            }
        }

        mutating func array(at location: [String?], emitting: Bool) throws {
            try expect(UInt8(ascii: "["))
            copySpace()
            if current == UInt8(ascii: "]") { return try expect(UInt8(ascii: "]")) }
            while true {
                copySpace()
                try value(at: location + [nil], emitting: emitting)
                copySpace()
                if current == UInt8(ascii: ",") { try expect(UInt8(ascii: ",")); continue }
                return try expect(UInt8(ascii: "]"))
            }
        }

        /// A number, true, false or null, copied.
        mutating func scalar() throws {
            let start = position
            while let byte = current, !" \t\r\n,]}:".utf8.contains(byte) { position += 1 }
            let word = bytes[start..<position]
            let isNumber = word.first.map { $0 == UInt8(ascii: "-") || (0x30...0x39).contains($0) } ?? false
            guard isNumber || word.elementsEqual("true".utf8) || word.elementsEqual("false".utf8) || word.elementsEqual("null".utf8) else {
                throw NotJSON()
            }
            output.append(contentsOf: word)
        }

        /// A string, copied; returns its text, unescaped, as UTF-8.
        mutating func string() throws -> [UInt8] {
            try expect(UInt8(ascii: "\""))
            var text: [UInt8] = []
            while let byte = current {
                output.append(byte)
                position += 1
                switch byte {
                case UInt8(ascii: "\""): return text
                case UInt8(ascii: "\\"):
                    guard let escaped = current else { throw NotJSON() }
                    output.append(escaped)
                    position += 1
                    switch escaped {
                    case UInt8(ascii: "b"): text.append(0x08)
                    case UInt8(ascii: "f"): text.append(0x0C)
                    case UInt8(ascii: "n"): text.append(0x0A)
                    case UInt8(ascii: "r"): text.append(0x0D)
                    case UInt8(ascii: "t"): text.append(0x09)
                    case UInt8(ascii: "u"): try unicodeEscape(into: &text)
                    default: text.append(escaped)
                    }
                default: text.append(byte)
                }
            }
            throw NotJSON()
        }

        mutating func unicodeEscape(into text: inout [UInt8]) throws {
            var code = try hex4()
            if (0xD800..<0xDC00).contains(code), bytes[position...].starts(with: Array("\\u".utf8)) {
                output.append(contentsOf: Array("\\u".utf8))
                position += 2
                let low = try hex4()
                code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
            }
            text.append(contentsOf: Array(String(Unicode.Scalar(code).map(Character.init) ?? "\u{FFFD}").utf8))
        }

        mutating func hex4() throws -> UInt32 {
            guard position + 4 <= bytes.count, let code = UInt32(String(decoding: bytes[position..<(position + 4)], as: UTF8.self), radix: 16) else {
                throw NotJSON()
            }
            output.append(contentsOf: bytes[position..<(position + 4)])
            position += 4
            return code
        }

        /// `value` as a JSON string, or `null` for nil.
        static func appendString(_ value: [UInt8]?, to output: inout [UInt8]) {
            guard let value else { return output.append(contentsOf: Array("null".utf8)) }
            output.append(UInt8(ascii: "\""))
            for byte in value {
                switch byte {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"): output.append(contentsOf: [UInt8(ascii: "\\"), byte])
                case 0x0A: output.append(contentsOf: Array("\\n".utf8))
                case 0x0D: output.append(contentsOf: Array("\\r".utf8))
                case 0x09: output.append(contentsOf: Array("\\t".utf8))
                case 0..<0x20: output.append(contentsOf: Array("\\u00\(byte < 16 ? "0" : "")\(String(byte, radix: 16))".utf8))
                default: output.append(byte)
                }
            }
            output.append(UInt8(ascii: "\""))
        }
    }
}
