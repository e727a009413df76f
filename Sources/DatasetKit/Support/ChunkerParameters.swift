/// The chunk sizes `ContentChunker` aims for, in bytes: no chunk is shorter than `minimum`
/// (except a stream's last) or longer than `maximum`, and on random data chunks average a
/// little over `average`.
///
/// Like the gear table, the sizes are part of what makes boundaries repeat from one snapshot to
/// the next: changing them costs dedup with the chunks already stored, never correctness.
public struct ChunkerParameters: Sendable, Equatable {
    public var minimum: Int
    public var average: Int
    public var maximum: Int

    /// `average` must be a power of two from 256 B to 4 MiB (the range the masks cover), and
    /// 64 <= `minimum` < `average` < `maximum`.
    public init(minimum: Int, average: Int, maximum: Int) {
        self.minimum = minimum
        self.average = average
        self.maximum = maximum
        precondition(isValid, "Invalid chunker parameters \(minimum)/\(average)/\(maximum).")
    }

    /// 1 MiB chunks: large enough that a table of many GB is a list of a few thousand objects,
    /// small enough that an edit re-uploads little.
    public static let standard = ChunkerParameters(minimum: 256 << 10, average: 1 << 20, maximum: 4 << 20)

    var isValid: Bool {
        average.nonzeroBitCount == 1 && (1 << 8)...(1 << 22) ~= average
            && minimum >= 64 && minimum < average && average < maximum
    }

    /// Normalized chunking, level 2: before `average` a cut needs two more zero bits than the
    /// average asks for, after it two fewer, so chunk sizes bunch around `average`.
    var strictMask: UInt64 { FastCDCMasks.mask(zeroBits: average.trailingZeroBitCount + 2) }
    var looseMask: UInt64 { FastCDCMasks.mask(zeroBits: average.trailingZeroBitCount - 2) }
}

/// The masks of FastCDC: for n, a mask of n bits spread over the hash's low 48 bits (the FastCDC
/// paper reports spread bits deduplicate slightly better than contiguous ones). Values for 6 to
/// 17 bits are those of the paper's C reference implementation (destor), 18 to 24 those of
/// restic-FastCDC, as both the `fastcdc` crate and its ports use them. A cut falls where
/// `hash & mask == 0`, which on random data happens once in 2^n bytes.
enum FastCDCMasks {
    private static let byZeroBits: [Int: UInt64] = [
        6: 0x0000_0000_0180_3110,
        7: 0x0000_0000_1803_5100,
        8: 0x0000_0018_0003_5300,
        9: 0x0000_0190_0035_3000,
        10: 0x0000_5900_0353_0000,
        11: 0x0000_d900_0353_0000,
        12: 0x0000_d901_0353_0000,
        13: 0x0000_d903_0353_0000,
        14: 0x0000_d903_1353_0000,
        15: 0x0000_d90f_0353_0000,
        16: 0x0000_d903_0353_7000,
        17: 0x0000_d907_0353_7000,
        18: 0x0000_d907_0753_7000,
        19: 0x0000_d917_0753_7000,
        20: 0x0000_d917_4753_7000,
        21: 0x0000_d917_6753_7000,
        22: 0x0000_d937_6753_7000,
        23: 0x0000_d937_7753_7000,
        24: 0x0000_d937_7757_7000,
    ]

    static func mask(zeroBits: Int) -> UInt64 {
        guard let mask = byZeroBits[zeroBits] else { preconditionFailure("No FastCDC mask of \(zeroBits) bits.") }
        return mask
    }
}
