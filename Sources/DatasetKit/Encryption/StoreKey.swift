import Crypto
import Foundation

/// What a sub-key of a store key is for. Each purpose gets its own key, derived with HKDF, so
/// that no key is ever used by two algorithms.
public enum StoreKeyPurpose: String, Sendable, CaseIterable {
    /// HMAC-SHA256 of an object's plaintext: its id in an encrypted store.
    case objectID = "object-id"
    /// The AEAD key objects are encrypted with (per object, with the object's own nonce).
    case objectEncryption = "object-encryption"
    /// Seals the previous generation's key in a generation record.
    case keyChain = "key-chain"
    /// Names a key without revealing it (`StoreKey.id`).
    case keyID = "key-id"
}

/// One generation of a store's key: 32 random bytes, from which every key the store's data is
/// encrypted and named with is derived. Never written anywhere but inside age files (wrapped
/// for a recipient) and generation records (sealed under the next generation's key).
public struct StoreKey: Sendable, Equatable {
    public let generation: Int
    /// Kept as bytes: swift-crypto's key type is not Sendable.
    let bytes: Data

    public static let size = 32

    init(generation: Int, bytes: Data) {
        precondition(bytes.count == Self.size, "a store key has 32 bytes")
        self.generation = generation
        self.bytes = bytes
    }

    static func generate(generation: Int) -> StoreKey {
        StoreKey(generation: generation, bytes: randomBytes(size))
    }

    /// The key itself, for code that encrypts with it directly (phase 2 uses `subkey`).
    public var symmetricKey: SymmetricKey { SymmetricKey(data: bytes) }

    /// HKDF-SHA256 of the key (no salt) with the info `dpm.store-key.v1.<purpose>`: 32 bytes.
    public func subkey(_ purpose: StoreKeyPurpose) -> SymmetricKey {
        HKDF<SHA256>.deriveKey(inputKeyMaterial: symmetricKey, salt: Data(),
                               info: Data("dpm.store-key.v1.\(purpose.rawValue)".utf8), outputByteCount: 32)
    }

    /// 16 hex digits that name this key in records and messages; they reveal nothing of it.
    public var id: String {
        subkey(.keyID).withUnsafeBytes { SHA256Hex.string($0.prefix(8)) }
    }

    /// The plaintext of a key file: the key in hex and a line feed, so that
    /// `age -d -i identity.txt keys/<fingerprint>.age` prints it.
    var keyFileText: Data { Data((SHA256Hex.string(bytes) + "\n").utf8) }

    /// The key in a key file's plaintext, or nil when it holds something else.
    static func fromKeyFileText(_ data: Data, generation: Int) -> StoreKey? {
        guard let text = String(data: data, encoding: .utf8)?.trimmingCharacters(in: .whitespacesAndNewlines),
              text.utf8.count == 2 * size, let bytes = hexBytes(text) else { return nil }
        return StoreKey(generation: generation, bytes: bytes)
    }

    public static func == (lhs: StoreKey, rhs: StoreKey) -> Bool {
        lhs.generation == rhs.generation && lhs.bytes == rhs.bytes
    }
}

extension StoreKey: CustomStringConvertible {
    /// Never the key: its generation and id.
    public var description: String { "store key \(id) (generation \(generation))" }
}

/// The bytes of a hex text (either case), or nil.
func hexBytes(_ text: String) -> Data? {
    let digits = Array(text.utf8)
    guard digits.count % 2 == 0 else { return nil }
    func value(_ digit: UInt8) -> UInt8? {
        switch digit {
        case 0x30...0x39: digit - 0x30
        case 0x61...0x66: digit - 0x61 + 10
        case 0x41...0x46: digit - 0x41 + 10
        default: nil
        }
    }
    var bytes = Data(capacity: digits.count / 2)
    for index in stride(from: 0, to: digits.count, by: 2) {
        guard let high = value(digits[index]), let low = value(digits[index + 1]) else { return nil }
        bytes.append(high << 4 | low)
    }
    return bytes
}

/// The keyed id of an object's plaintext in an encrypted store: HMAC-SHA256 under the ring's
/// object-id key, in lower-case hex (64 digits, like a plaintext store's SHA-256). Without the
/// key nobody can tell whether a store holds a given content.
public final class KeyedHashingWriter: ByteWriter {
    private var hmac: HMAC<SHA256>
    private let downstream: ByteWriter?
    public private(set) var byteCount: Int64 = 0

    public init(key: SymmetricKey, forwardingTo downstream: ByteWriter? = nil) {
        hmac = HMAC<SHA256>(key: key)
        self.downstream = downstream
    }

    public func write(_ bytes: UnsafeRawBufferPointer) throws {
        hmac.update(data: bytes)
        byteCount += Int64(bytes.count)
        try downstream?.write(bytes)
    }

    public func finish() throws { try downstream?.finish() }

    /// The lowercase hex id; call once, after the last write.
    public func hexDigest() -> String { SHA256Hex.string(hmac.finalize()) }

    public static func id(of data: Data, key: SymmetricKey) -> String {
        SHA256Hex.string(HMAC<SHA256>.authenticationCode(for: data, using: key))
    }
}
