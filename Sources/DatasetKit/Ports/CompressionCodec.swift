/// A streaming compressor/decompressor pair (zstd in production). Both directions are
/// pull-based so that a store's `put` can read compressed bytes as it sends them.
public protocol CompressionCodec: Sendable {
    /// Name recorded in snapshots, e.g. "zstd".
    var name: String { get }
    func compressing(_ source: ByteReader) throws -> ByteReader
    func decompressing(_ source: ByteReader) throws -> ByteReader
}
