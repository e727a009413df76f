import DatasetKit

/// gzip streams through zlib (which checks their CRC-32), zstd through libarchive.
public struct StreamDecompressor: StreamDecompression {
    public init() {}

    public func decompressing(_ source: ByteReader, from compression: StreamCompression) throws -> ByteReader {
        switch compression {
        case .gzip: try GzipReader(source: source)
        case .zlib: try GzipReader(source: source, wrapper: .zlib)
        case .zstd: try DecompressingReader(source: source)
        }
    }
}
