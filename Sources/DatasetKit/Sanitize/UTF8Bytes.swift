extension Array where Element == UInt8 {
    /// Whether the bytes are valid UTF-8 (ASCII, the common case, is checked without building a String).
    var isValidUTF8: Bool { allSatisfy { $0 < 0x80 } || String(validating: self, as: UTF8.self) != nil }
}
