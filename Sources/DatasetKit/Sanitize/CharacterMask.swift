/// `mask:N`: every character but the last N becomes `*`. Characters are user-perceived ones
/// when the value is UTF-8, so a scalar is never split; otherwise (a single-byte encoding
/// such as LATIN1) each byte is one character.
enum CharacterMask {
    static func mask(_ value: [UInt8], keepingLast keep: Int) -> [UInt8] {
        guard let text = String(validating: value, as: UTF8.self) else {
            let masked = max(value.count - keep, 0)
            return [UInt8](repeating: UInt8(ascii: "*"), count: masked) + value.suffix(keep)
        }
        let masked = max(text.count - keep, 0)
        return [UInt8](repeating: UInt8(ascii: "*"), count: masked) + Array(String(text.suffix(keep)).utf8)
    }
}
