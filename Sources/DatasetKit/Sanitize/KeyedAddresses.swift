/// `ip`: an IPv4 value becomes a keyed address in the private 10.0.0.0/8, anything with a `:`
/// a keyed one in the unique-local fd00::/8. A `/mask` suffix is kept and the host bits past it
/// are cleared, so the value is valid for `cidr` columns as well as `inet`.
enum KeyedAddresses {
    static func address(_ value: [UInt8], _ digester: KeyedDigester) -> [UInt8] {
        let digest = digester.digest(value)
        let slash = value.firstIndex(of: UInt8(ascii: "/"))
        let maskText = slash.map { String(decoding: value[value.index(after: $0)...], as: UTF8.self) }
        let isIPv6 = value[..<(slash ?? value.endIndex)].contains(UInt8(ascii: ":"))
        var bytes = isIPv6 ? [0xFD] + Array(digest.prefix(15)) : [10] + Array(digest.prefix(3))
        guard let maskText, let bits = Int(maskText), (0...(bytes.count * 8)).contains(bits) else {
            return Array(format(bytes).utf8)
        }
        for index in bytes.indices {
            let kept = min(max(bits - index * 8, 0), 8)
            bytes[index] &= kept == 0 ? 0 : UInt8(truncatingIfNeeded: 0xFF << (8 - kept))
        }
        return Array("\(format(bytes))/\(maskText)".utf8)
    }

    private static func format(_ bytes: [UInt8]) -> String {
        if bytes.count == 4 { return bytes.map(String.init).joined(separator: ".") }
        return stride(from: 0, to: 16, by: 2).map { String(UInt16(bytes[$0]) << 8 | UInt16(bytes[$0 + 1]), radix: 16) }
            .joined(separator: ":")
    }
}
