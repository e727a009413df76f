import Foundation

/// The base64 of age headers: standard alphabet, no `=` padding, and only the canonical
/// encoding accepted (the spec requires it, so that a header has exactly one byte form).
enum AgeBase64 {
    static func encode<Bytes: DataProtocol>(_ bytes: Bytes) -> String {
        var text = Data(bytes).base64EncodedString()
        while text.hasSuffix("=") { text.removeLast() }
        return text
    }

    /// The bytes of an unpadded canonical base64 text, or nil.
    static func decode(_ text: Substring) -> Data? {
        guard !text.contains("="), text.utf8.count % 4 != 1 else { return nil }
        let padded = String(text) + String(repeating: "=", count: (4 - text.utf8.count % 4) % 4)
        guard let data = Data(base64Encoded: padded), encode(data) == text else { return nil }
        return data
    }

    static func decode(_ text: String) -> Data? { decode(Substring(text)) }

    /// Whether `byte` is a character of the base64 alphabet (no padding).
    static func isAlphabet(_ byte: UInt8) -> Bool {
        (0x41...0x5A).contains(byte) || (0x61...0x7A).contains(byte) || (0x30...0x39).contains(byte)
            || byte == UInt8(ascii: "+") || byte == UInt8(ascii: "/")
    }
}
