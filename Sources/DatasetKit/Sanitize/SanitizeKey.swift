import Crypto
import Foundation

/// The secret of `DPM_SANITIZE_KEY` that every rule is keyed with. Each rule gets its own key
/// derived by HMAC-SHA256, so that outputs of two rules never reveal each other; the secret
/// itself is never shown, stored or logged, only its `fingerprint`.
public struct SanitizeKey: Sendable {
    public static let minimumLength = 16
    public static let variable = "DPM_SANITIZE_KEY"

    /// Kept as bytes: swift-crypto's `SymmetricKey` is not `Sendable`.
    private let secret: [UInt8]

    public init(secret: String) throws {
        let length = secret.count
        guard length >= Self.minimumLength else {
            throw DPMError.invalidInput(
                "\(Self.variable) must be at least \(Self.minimumLength) characters long (it has \(length)); use a long random secret, e.g. the output of `openssl rand -hex 32`."
            )
        }
        self.secret = Array(secret.utf8)
    }

    /// The key from the settings; a sentence saying how to set it when it is not set.
    public init(settings: SanitizeSettings) throws {
        guard let secret = settings.key else {
            throw DPMError.invalidInput(
                "This profile has sanitize rules, and they need a secret key: set \(Self.variable) to a long random secret (at least \(Self.minimumLength) characters), the same on every machine that uploads it."
            )
        }
        try self.init(secret: secret)
    }

    /// 16 hex digits of a keyed hash of a constant: tells two keys apart in a snapshot record
    /// without revealing anything of the key.
    public var fingerprint: String {
        let code = HMAC<SHA256>.authenticationCode(for: Array("dpm sanitize key fingerprint v1".utf8), using: SymmetricKey(data: secret))
        return String(SHA256Hex.string(code).prefix(16))
    }

    /// The key of one purpose (a rule's name), derived from the secret.
    func derived(for purpose: String) -> SymmetricKey {
        let code = HMAC<SHA256>.authenticationCode(for: Array("dpm sanitize v1 \(purpose)".utf8), using: SymmetricKey(data: secret))
        return SymmetricKey(data: Array(code))
    }

    /// The keyed digests of one purpose.
    func digester(for purpose: String) -> KeyedDigester {
        KeyedDigester(key: derived(for: purpose))
    }
}

/// HMAC-SHA256 under one derived key, of values and of values with a block counter (for rules
/// that need more keyed bytes than one digest gives).
struct KeyedDigester {
    /// An HMAC with the key already set up, copied for each value (saves two SHA-256 blocks).
    private let keyed: HMAC<SHA256>

    init(key: SymmetricKey) { keyed = HMAC<SHA256>(key: key) }

    /// The 32 bytes of HMAC(key, value).
    func digest(_ value: [UInt8]) -> [UInt8] {
        var hmac = keyed
        hmac.update(data: value)
        return hmac.finalize().withUnsafeBytes { Array($0) }
    }

    /// HMAC(key, value ‖ block) for block 0, 1, …: an endless keyed byte stream of one value.
    func stream(of value: [UInt8]) -> KeyedByteStream {
        KeyedByteStream(digester: self, value: value)
    }

    /// SHA-256(HMAC(key, value) ‖ block) for block 0, 1, …: the same kind of stream for rules
    /// that draw many bytes from a long value (`text`), which would otherwise hash the whole
    /// value again for every 32 bytes.
    func seededStream(of value: [UInt8]) -> KeyedByteStream {
        KeyedByteStream(digester: self, value: value, seed: digest(value))
    }

    fileprivate func block(_ value: [UInt8], _ counter: UInt32) -> [UInt8] {
        var hmac = keyed
        hmac.update(data: value)
        hmac.update(data: withUnsafeBytes(of: counter.bigEndian) { Array($0) })
        return hmac.finalize().withUnsafeBytes { Array($0) }
    }
}

/// Keyed bytes of one value, as many as a rule asks for.
struct KeyedByteStream {
    private let digester: KeyedDigester
    private let value: [UInt8]
    /// Set for a seeded stream: its blocks hash the seed, not the value.
    private let seed: [UInt8]?
    private var counter: UInt32 = 0
    private var buffer: [UInt8] = []
    private var position = 0

    init(digester: KeyedDigester, value: [UInt8], seed: [UInt8]? = nil) {
        self.digester = digester
        self.value = value
        self.seed = seed
    }

    mutating func next() -> UInt8 {
        if position == buffer.count {
            buffer = seed.map { Self.block(seed: $0, counter) } ?? digester.block(value, counter)
            counter &+= 1
            position = 0
        }
        defer { position += 1 }
        return buffer[position]
    }

    private static func block(seed: [UInt8], _ counter: UInt32) -> [UInt8] {
        var hash = SHA256()
        hash.update(data: seed)
        hash.update(data: withUnsafeBytes(of: counter.bigEndian) { Array($0) })
        return hash.finalize().withUnsafeBytes { Array($0) }
    }

    /// A number in 0..<bound, without the bias of a plain modulo.
    mutating func number(below bound: Int) -> Int {
        precondition(bound > 0)
        let limit = UInt32.max - UInt32.max % UInt32(bound)
        while true {
            let word = (0..<4).reduce(UInt32(0)) { value, _ in value << 8 | UInt32(next()) }
            if word < limit { return Int(word % UInt32(bound)) }
        }
    }
}
