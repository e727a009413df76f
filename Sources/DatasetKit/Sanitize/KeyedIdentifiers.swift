/// The rules whose outputs are unique per input (so unique indexes and joins survive): each
/// carries at least 64 keyed bits, so a collision among billions of values is not a practical
/// concern. Outputs are ASCII, valid in every server encoding.
enum KeyedIdentifiers {
    /// 64 hex digits of HMAC-SHA256.
    static func hash(_ value: [UInt8], _ digester: KeyedDigester) -> [UInt8] {
        Array(SHA256Hex.string(digester.digest(value)).utf8)
    }

    /// `<first name>.<16 hex>@example.com`: a reserved domain (RFC 2606) nobody receives mail at.
    static func email(_ value: [UInt8], _ digester: KeyedDigester) -> [UInt8] {
        let digest = digester.digest(value)
        let word = NameLists.first[(Int(digest[8]) << 8 | Int(digest[9])) % NameLists.first.count].lowercased()
        return Array("\(word).\(SHA256Hex.string(digest.prefix(8)))@example.com".utf8)
    }

    /// A UUID with the version 4 and variant bits set, its other 122 bits keyed.
    static func uuid(_ value: [UInt8], _ digester: KeyedDigester) -> [UInt8] {
        var bytes = Array(digester.digest(value).prefix(16))
        bytes[6] = bytes[6] & 0x0F | 0x40
        bytes[8] = bytes[8] & 0x3F | 0x80
        var text = Array(SHA256Hex.string(bytes).utf8)
        for position in [20, 16, 12, 8] { text.insert(UInt8(ascii: "-"), at: position) }
        return text
    }
}
