/// `phone`: the value's shape is kept (a leading `+`, spaces, dashes, dots, brackets, the
/// count of digits) and every ASCII digit replaced by a keyed one, so a number stays valid for
/// the same format checks and never is the original. Letters typed beside the number ("ext.",
/// "ask for Ulrike") become keyed letters of the same case: a name there is personal too.
enum PhoneDigits {
    static func replace(_ value: [UInt8], _ digester: KeyedDigester) -> [UInt8] {
        var stream = digester.stream(of: value)
        let isUTF8 = value.isValidUTF8
        var output: [UInt8] = []
        output.reserveCapacity(value.count)
        for byte in value {
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): output.append(UInt8(ascii: "0") + UInt8(stream.number(below: 10)))
            case UInt8(ascii: "a")...UInt8(ascii: "z"): output.append(UInt8(ascii: "a") + UInt8(stream.number(below: 26)))
            case UInt8(ascii: "A")...UInt8(ascii: "Z"): output.append(UInt8(ascii: "A") + UInt8(stream.number(below: 26)))
            // A non-ASCII character (one byte in LATIN1 and the like, a lead byte and its
            // continuation bytes in UTF-8) becomes one keyed lower-case letter: never longer.
            case 0x80...0xBF where isUTF8: continue
            case 0x80...: output.append(UInt8(ascii: "a") + UInt8(stream.number(below: 26)))
            default: output.append(byte)
            }
        }
        return output
    }
}
