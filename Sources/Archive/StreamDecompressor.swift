import DatasetKit

/// gzip and zstd streams through libarchive's read filters.
public struct StreamDecompressor: StreamDecompression {
    public init() {}

    public func decompressing(_ source: ByteReader, from compression: StreamCompression) throws -> ByteReader {
        switch compression {
        case .gzip: try DecompressingReader(source: source, filter: .gzip)
        case .zstd: try DecompressingReader(source: source, filter: .zstd)
        }
    }
}
