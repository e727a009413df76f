/// The 256 random 64-bit values of the gear rolling hash that `ContentChunker` runs over a
/// stream (`h = (h << 1) &+ gear[byte]`).
///
/// The values are SplitMix64 (Steele, Lea and Flood, "Fast splittable pseudorandom number
/// generators", 2014) seeded with `seed`, taken in order. They must never change: chunk
/// boundaries decide only how well snapshots deduplicate, never whether a snapshot restores
/// (every chunk is named by its content, and a table is the concatenation of its chunks), but a
/// different table moves every boundary, so no new chunk would match one already stored.
enum GearTable {
    /// "dpm-gear" in ASCII.
    static let seed: UInt64 = 0x6470_6D2D_6765_6172

    static let values: [UInt64] = {
        var generator = SplitMix64(seed: seed)
        return (0..<256).map { _ in generator.next() }
    }()
}

/// SplitMix64, exactly as in its published reference code; small and fully specified, which is
/// what a table that must be reproducible forever needs (not statistical strength).
struct SplitMix64 {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
