/// Remembers, as digests, the original values a sanitizer replaces: each whole field of four
/// bytes or more, and each email address inside one. Batches go into the upload's shared
/// digest set, so that a worker holds a bounded batch whatever its table's size.
public final class OriginalValues {
    private let shared: Locked<LeakDigests>
    /// The origin number of each field of the table's lines.
    private let origins: [UInt16]
    private var batch: [(digest: UInt64, origin: UInt16)] = []
    private var decoded: [UInt8] = []
    static let batchSize = 1 << 16

    public init(into shared: Locked<LeakDigests>, origins: [UInt16]) {
        self.shared = shared
        self.origins = origins
        batch.reserveCapacity(Self.batchSize)
    }

    /// `field` as COPY writes it; `wholeField` false for rules whose outputs may equal other
    /// rows' inputs by design (shifted dates, noisy numbers): only their emails are remembered.
    func record(_ field: UnsafeBufferPointer<UInt8>, at position: Int, wholeField: Bool) throws {
        if field.count == 2, field.elementsEqual(CopyText.null) { return }
        let origin = position < origins.count ? origins[position] : 0
        if wholeField, field.count >= 4 { batch.append((LeakDigests.field(UnsafeRawBufferPointer(field)), origin)) }
        if UnsafeRawBufferPointer(field).index(of: UInt8(ascii: "@"), from: 0) != nil {
            _ = CopyText.decode(field, into: &decoded)
            decoded.withUnsafeBytes { text in EmailTokens.forEach(in: text) { batch.append((LeakDigests.email($0), origin)) } }
        }
        if batch.count >= Self.batchSize { try flush() }
    }

    /// Hands the batch to the shared set; call once more after the last field.
    public func flush() throws {
        guard !batch.isEmpty else { return }
        try shared.withValue { digests in
            for (digest, origin) in batch { try digests.insert(digest, origin: origin) }
        }
        batch.removeAll(keepingCapacity: true)
    }
}

extension SanitizeRule {
    /// Whether a value this rule replaced must not appear anywhere else in what is stored.
    /// Not for `keep` (nothing replaced), nor for shifted dates and noisy numbers, whose
    /// outputs equal other rows' inputs by design.
    var remembersOriginals: Bool {
        switch self {
        case .keep, .dateShift, .intNoise: false
        default: true
        }
    }
}
