/// How a file dpm reads but did not write is compressed as a whole (a `.gz` or `.zst` dump),
/// or a stream inside one is (`zlib`: the table data in a pg_dump custom-format file).
public enum StreamCompression: String, Codable, Sendable, CaseIterable {
    case gzip, zstd, zlib

    /// Whether `bytes` (a file's first bytes) begin a stream of this kind; never for zlib,
    /// whose two-byte header is no file signature.
    public func starts(_ bytes: [UInt8]) -> Bool {
        let magic: [UInt8] = switch self {
        case .gzip: [0x1F, 0x8B]
        case .zstd: [0x28, 0xB5, 0x2F, 0xFD]
        case .zlib: []
        }
        return !magic.isEmpty && bytes.starts(with: magic)
    }

    /// The kind whose magic number `bytes` begin with, if any.
    public static func detect(_ bytes: [UInt8]) -> StreamCompression? {
        allCases.first { $0.starts(bytes) }
    }
}

/// Streaming decompression of files made elsewhere (gzip and zstd); the store's own objects
/// go through `CompressionCodec`.
public protocol StreamDecompression: Sendable {
    /// The plain bytes of `source`; a damaged stream fails as `.corrupt` with a fragment that
    /// reads after "the file …: " ("its gzip stream is damaged (…)").
    func decompressing(_ source: ByteReader, from compression: StreamCompression) throws -> ByteReader
}
