/// Bech32 (BIP 173) as age uses it: the BIP's checksum and alphabet, but no limit on the
/// length of the data part (an age secret key is 74 characters, past the BIP's 90 only with
/// other key types, and age never applies the limit).
public enum Bech32 {
    /// Why a text is not valid Bech32, worded to follow "… is not an age public key: ".
    public enum Problem: Error, Equatable, CustomStringConvertible {
        case mixedCase
        case noSeparator
        case emptyPrefix
        case invalidPrefixCharacter
        case invalidCharacter(Character)
        case tooShort
        case badChecksum
        case badPadding

        public var description: String {
            switch self {
            case .mixedCase: "it mixes upper and lower case"
            case .noSeparator: "it has no \"1\" between its prefix and its data"
            case .emptyPrefix: "it has no prefix before the \"1\""
            case .invalidPrefixCharacter: "its prefix has a character outside printable ASCII"
            case .invalidCharacter(let character): "it contains \"\(character)\", which is not a Bech32 character"
            case .tooShort: "it is too short to hold a checksum"
            case .badChecksum: "its checksum does not match (a character was mistyped, left out or added)"
            case .badPadding: "its data does not end on a whole byte"
            }
        }
    }

    private static let alphabet = Array("qpzry9x8gf2tvdw0s3jn54khce6mua7l".utf8)
    private static let values: [Int8] = {
        var table = [Int8](repeating: -1, count: 128)
        for (index, character) in alphabet.enumerated() { table[Int(character)] = Int8(index) }
        return table
    }()

    /// `prefix` (the human-readable part, lower case) + "1" + `data` in 5-bit groups + checksum,
    /// all lower case.
    public static func encode(prefix: String, data: [UInt8]) -> String {
        let hrp = Array(prefix.lowercased().utf8)
        let groups = regroup(data, from: 8, to: 5, pad: true) ?? []
        let checksum = self.checksum(hrp: hrp, groups: groups)
        var text = hrp
        text.append(UInt8(ascii: "1"))
        for group in groups + checksum { text.append(alphabet[Int(group)]) }
        return String(decoding: text, as: UTF8.self)
    }

    /// The prefix (lower case) and the data bytes of a Bech32 text in one case.
    public static func decode(_ text: String) throws -> (prefix: String, data: [UInt8]) {
        if let other = text.first(where: { !$0.isASCII }) { throw Problem.invalidCharacter(other) }
        let bytes = Array(text.utf8)
        let hasLower = bytes.contains { (0x61...0x7A).contains($0) }
        let hasUpper = bytes.contains { (0x41...0x5A).contains($0) }
        if hasLower && hasUpper { throw Problem.mixedCase }
        let lowered = bytes.map { (0x41...0x5A).contains($0) ? $0 + 0x20 : $0 }
        guard let separator = lowered.lastIndex(of: UInt8(ascii: "1")) else { throw Problem.noSeparator }
        guard separator > 0 else { throw Problem.emptyPrefix }
        let hrp = Array(lowered[..<separator])
        guard hrp.allSatisfy({ (33...126).contains($0) }) else { throw Problem.invalidPrefixCharacter }
        var groups: [UInt8] = []
        for index in (separator + 1)..<lowered.count {
            let value = values[Int(lowered[index])]
            guard value >= 0 else { throw Problem.invalidCharacter(Character(Unicode.Scalar(bytes[index]))) }
            groups.append(UInt8(value))
        }
        guard groups.count >= 6 else { throw Problem.tooShort }
        guard polymod(expand(hrp) + groups) == 1 else { throw Problem.badChecksum }
        guard let data = regroup(Array(groups.dropLast(6)), from: 5, to: 8, pad: false) else { throw Problem.badPadding }
        return (String(decoding: hrp, as: UTF8.self), data)
    }

    private static func checksum(hrp: [UInt8], groups: [UInt8]) -> [UInt8] {
        let value = polymod(expand(hrp) + groups + [0, 0, 0, 0, 0, 0]) ^ 1
        return (0..<6).map { UInt8((value >> (5 * (5 - $0))) & 31) }
    }

    private static func expand(_ hrp: [UInt8]) -> [UInt8] {
        hrp.map { $0 >> 5 } + [0] + hrp.map { $0 & 31 }
    }

    private static func polymod(_ values: [UInt8]) -> UInt32 {
        let generator: [UInt32] = [0x3b6a_57b2, 0x2650_8e6d, 0x1ea1_19fa, 0x3d42_33dd, 0x2a14_62b3]
        var check: UInt32 = 1
        for value in values {
            let top = check >> 25
            check = (check & 0x1ff_ffff) << 5 ^ UInt32(value)
            for bit in 0..<5 where (top >> bit) & 1 == 1 { check ^= generator[bit] }
        }
        return check
    }

    /// Regroups bits, as BIP 173's convertbits: nil when `pad` is false and bits are left over
    /// (more than a group's worth, or any that are not zero).
    private static func regroup(_ data: [UInt8], from: Int, to: Int, pad: Bool) -> [UInt8]? {
        var accumulator = 0, bits = 0
        let mask = (1 << to) - 1
        let kept = (1 << (from + to - 1)) - 1
        var result: [UInt8] = []
        for value in data {
            accumulator = ((accumulator << from) | Int(value)) & kept
            bits += from
            while bits >= to {
                bits -= to
                result.append(UInt8((accumulator >> bits) & mask))
            }
        }
        if pad {
            if bits > 0 { result.append(UInt8((accumulator << (to - bits)) & mask)) }
        } else if bits >= from || (accumulator << (to - bits)) & mask != 0 {
            return nil
        }
        return result
    }
}
