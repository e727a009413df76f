/// PostgreSQL's COPY text format, on bytes: fields split on tabs, `\N` for NULL, backslash
/// escapes for control characters. Works on bytes rather than String so that a database in
/// LATIN1 or any other ASCII-compatible encoding passes through unchanged.
public enum CopyText {
    public static let tab: UInt8 = 0x09
    public static let newline: UInt8 = 0x0A
    static let backslash: UInt8 = 0x5C
    /// `\N`
    public static let null: [UInt8] = [0x5C, 0x4E]
    /// `\.`: the line that ends a COPY's data.
    public static let endOfData: [UInt8] = [0x5C, 0x2E]

    /// The fields of one data line (without its newline), still escaped.
    public static func fields(of line: [UInt8]) -> [ArraySlice<UInt8>] {
        line.split(separator: tab, omittingEmptySubsequences: false)
    }

    /// A field's value, or nil for `\N`.
    public static func decode<Field: Collection<UInt8>>(_ field: Field) -> [UInt8]? {
        var value: [UInt8] = []
        return decode(field, into: &value) ? value : nil
    }

    /// Decodes `field` into `value` (emptied first); false for `\N`.
    public static func decode<Field: Collection<UInt8>>(_ field: Field, into value: inout [UInt8]) -> Bool {
        value.removeAll(keepingCapacity: true)
        if field.count == 2, field.elementsEqual(null) { return false }
        var index = field.startIndex
        while index != field.endIndex {
            let byte = field[index]
            field.formIndex(after: &index)
            guard byte == backslash, index != field.endIndex else {
                value.append(byte)
                continue
            }
            let escaped = field[index]
            field.formIndex(after: &index)
            switch escaped {
            case UInt8(ascii: "b"): value.append(0x08)
            case UInt8(ascii: "f"): value.append(0x0C)
            case UInt8(ascii: "n"): value.append(0x0A)
            case UInt8(ascii: "r"): value.append(0x0D)
            case UInt8(ascii: "t"): value.append(0x09)
            case UInt8(ascii: "v"): value.append(0x0B)
            case UInt8(ascii: "0")...UInt8(ascii: "7"):
                var code = Int(escaped - UInt8(ascii: "0"))
                for _ in 0..<2 {
                    guard index != field.endIndex, (UInt8(ascii: "0")...UInt8(ascii: "7")).contains(field[index]) else { break }
                    code = code * 8 + Int(field[index] - UInt8(ascii: "0"))
                    field.formIndex(after: &index)
                }
                value.append(UInt8(code & 0xFF))
            case UInt8(ascii: "x"):
                var code = 0
                var digits = 0
                while digits < 2, index != field.endIndex, let digit = hexValue(field[index]) {
                    code = code * 16 + digit
                    digits += 1
                    field.formIndex(after: &index)
                }
                value.append(digits == 0 ? escaped : UInt8(code))
            default:
                value.append(escaped)
            }
        }
        return true
    }

    /// Appends `value` escaped as PostgreSQL writes it (`\N` for nil).
    public static func encode(_ value: [UInt8]?, into output: inout [UInt8]) {
        guard let value else {
            output.append(contentsOf: null)
            return
        }
        for byte in value {
            switch byte {
            case 0x08: output.append(backslash); output.append(UInt8(ascii: "b"))
            case 0x0C: output.append(backslash); output.append(UInt8(ascii: "f"))
            case 0x0A: output.append(backslash); output.append(UInt8(ascii: "n"))
            case 0x0D: output.append(backslash); output.append(UInt8(ascii: "r"))
            case 0x09: output.append(backslash); output.append(UInt8(ascii: "t"))
            case 0x0B: output.append(backslash); output.append(UInt8(ascii: "v"))
            case backslash: output.append(backslash); output.append(backslash)
            default: output.append(byte)
            }
        }
    }

    public static func encode(_ value: [UInt8]?) -> [UInt8] {
        var output: [UInt8] = []
        encode(value, into: &output)
        return output
    }

    /// One data line (without its newline) of these values.
    public static func line(_ values: [[UInt8]?]) -> [UInt8] {
        var output: [UInt8] = []
        for (index, value) in values.enumerated() {
            if index > 0 { output.append(tab) }
            encode(value, into: &output)
        }
        return output
    }

    private static func hexValue(_ byte: UInt8) -> Int? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): Int(byte - UInt8(ascii: "0"))
        case UInt8(ascii: "a")...UInt8(ascii: "f"): Int(byte - UInt8(ascii: "a")) + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): Int(byte - UInt8(ascii: "A")) + 10
        default: nil
        }
    }
}
