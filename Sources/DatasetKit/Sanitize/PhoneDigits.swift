/// `phone`: the value's shape is kept (a leading `+`, spaces, dashes, dots, brackets, the
/// count of digits) and every ASCII digit replaced by a keyed one, so a number stays valid for
/// the same format checks and never is the original.
enum PhoneDigits {
    static func replace(_ value: [UInt8], _ digester: KeyedDigester) -> [UInt8] {
        var stream = digester.stream(of: value)
        return value.map { byte in
            guard (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) else { return byte }
            return UInt8(ascii: "0") + UInt8(stream.number(below: 10))
        }
    }
}
