/// The leak check's memory of original values: 64-bit keyed digests (SipHash under this
/// process's random seed), never the values, each with the column it came from (so that a
/// hit can say whose values leaked). An open-addressing table at most half full: 21 to 42
/// bytes a value. `limit` bounds it; past it, inserting throws a sentence saying how to
/// raise it.
public struct LeakDigests: Sendable {
    public static let defaultLimit = 4_000_000
    public static let limitVariable = "DPM_SANITIZE_LEAK_CHECK_LIMIT"

    public let limit: Int
    private var slots: [UInt64]
    /// The origin of each slot's digest (a column number the caller assigns).
    private var origins: [UInt16]
    /// A bit per 4 slots' worth of digests, set from other bits of the digest than the slot's:
    /// most fields are not originals, and this answers them from a table small enough for the
    /// processor's cache, where the slots themselves would cost a memory read each.
    private var filter: [UInt64]
    public private(set) var count = 0

    public init(limit: Int = LeakDigests.defaultLimit) {
        self.limit = limit
        slots = Array(repeating: 0, count: 1 << 10)
        origins = Array(repeating: 0, count: 1 << 10)
        filter = Array(repeating: 0, count: (1 << 10) / 16)
    }

    /// The digest of a whole field as COPY writes it.
    public static func field(_ bytes: UnsafeRawBufferPointer) -> UInt64 { digest(tag: 1, bytes) }

    /// The digest of an email address, lower-cased.
    public static func email(_ bytes: UnsafeRawBufferPointer) -> UInt64 { digest(tag: 2, bytes) }

    private static func digest(tag: UInt8, _ bytes: UnsafeRawBufferPointer) -> UInt64 {
        var hasher = Hasher()
        hasher.combine(tag)
        hasher.combine(bytes: bytes)
        // 0 marks an empty slot.
        return max(1, UInt64(bitPattern: Int64(hasher.finalize())))
    }

    /// Adds `digest`; a digest already there keeps its first origin.
    public mutating func insert(_ digest: UInt64, origin: UInt16 = 0) throws {
        guard !contains(digest) else { return }
        guard count < limit else {
            throw DPMError.invalidInput(
                "The leak check keeps at most \(limit) distinct original values of the sanitized columns (16 to 32 bytes each) and these tables hold more; set \(Self.limitVariable) higher (e.g. \(limit * 2)) if the machine has the memory."
            )
        }
        if (count + 1) * 2 > slots.count { grow() }
        place(digest, origin)
        count += 1
    }

    private mutating func place(_ digest: UInt64, _ origin: UInt16) {
        let mask = slots.count - 1
        var index = Int(truncatingIfNeeded: digest) & mask
        while slots[index] != 0 { index = (index + 1) & mask }
        slots[index] = digest
        origins[index] = origin
        let bit = filterBit(digest)
        filter[bit >> 6] |= 1 << UInt64(bit & 63)
    }

    /// The filter bit of a digest: its top bits, as many as the filter has (4 per slot).
    private func filterBit(_ digest: UInt64) -> Int {
        Int(truncatingIfNeeded: digest >> UInt64(64 - (slots.count * 4).trailingZeroBitCount))
    }

    public func contains(_ digest: UInt64) -> Bool { origin(of: digest) != nil }

    /// The origin `digest` was inserted with; nil when it is not in the set.
    public func origin(of digest: UInt64) -> UInt16? {
        let bit = filterBit(digest)
        guard filter[bit >> 6] & (1 << UInt64(bit & 63)) != 0 else { return nil }
        let mask = slots.count - 1
        var index = Int(truncatingIfNeeded: digest) & mask
        while slots[index] != 0 {
            if slots[index] == digest { return origins[index] }
            index = (index + 1) & mask
        }
        return nil
    }

    private mutating func grow() {
        let (oldSlots, oldOrigins) = (slots, origins)
        slots = Array(repeating: 0, count: oldSlots.count * 2)
        origins = Array(repeating: 0, count: oldSlots.count * 2)
        filter = Array(repeating: 0, count: oldSlots.count * 2 * 4 / 64)
        for (digest, origin) in zip(oldSlots, oldOrigins) where digest != 0 { place(digest, origin) }
    }
}

/// Email-shaped tokens inside a text (`local@domain.tld`), lower-cased.
enum EmailTokens {
    static func forEach(in text: UnsafeRawBufferPointer, _ body: (UnsafeRawBufferPointer) throws -> Void) rethrows {
        var start = 0
        var token: [UInt8] = []
        while let at = text.index(of: UInt8(ascii: "@"), from: start) {
            var first = at
            while first > 0, isLocalPart(text[first - 1]) { first -= 1 }
            var end = at + 1
            while end < text.count, isDomainPart(text[end]) { end += 1 }
            while end > at + 1, text[end - 1] == UInt8(ascii: ".") { end -= 1 }
            start = max(end, at + 1)
            let domain = text[(at + 1)..<end]
            guard first < at, domain.contains(UInt8(ascii: ".")) else { continue }
            token.removeAll(keepingCapacity: true)
            for byte in text[first..<end] { token.append(byte >= 0x41 && byte <= 0x5A ? byte + 0x20 : byte) }
            try token.withUnsafeBytes { try body($0) }
        }
    }

    private static func isLocalPart(_ byte: UInt8) -> Bool {
        isDomainPart(byte) || byte == UInt8(ascii: "_") || byte == UInt8(ascii: "%") || byte == UInt8(ascii: "+")
    }

    private static func isDomainPart(_ byte: UInt8) -> Bool {
        (byte >= 0x30 && byte <= 0x39) || ((byte | 0x20) >= 0x61 && (byte | 0x20) <= 0x7A) || byte == UInt8(ascii: ".")
            || byte == UInt8(ascii: "-")
    }
}
