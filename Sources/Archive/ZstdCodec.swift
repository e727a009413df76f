import CLibArchive
import DatasetKit

/// zstd streams through libarchive's zstd filter and raw format. Both directions are
/// pull-based and keep only a chunk or two in memory.
public struct ZstdCodec: CompressionCodec {
    public let level: Int

    public init(level: Int = CompressionSettings.defaultZstdLevel) {
        self.level = level
    }

    public var name: String { "zstd" }

    public func compressing(_ source: ByteReader) throws -> ByteReader {
        try CompressingReader(source: source, level: level)
    }

    public func decompressing(_ source: ByteReader) throws -> ByteReader {
        try DecompressingReader(source: source)
    }
}

private func archiveMessage(_ archive: OpaquePointer?, _ fallback: String) -> String {
    if let archive, let text = archive_error_string(archive) { return String(cString: text) }
    return fallback
}

/// Pulls plain bytes from `source`, feeds them to libarchive's writer, and hands out
/// the compressed bytes its write callback produces.
final class CompressingReader: ByteReader {
    private let source: ByteReader
    private var archive: OpaquePointer?
    private let input = UnsafeMutableRawBufferPointer.allocate(byteCount: streamChunkSize, alignment: 16)
    fileprivate var pending: [UInt8] = []
    private var pendingOffset = 0
    private var finished = false

    init(source: ByteReader, level: Int) throws {
        self.source = source
        archive = archive_write_new()
        guard let archive else { throw DPMError.system("Cannot start zstd compression: out of memory.") }
        guard archive_write_add_filter_zstd(archive) == ARCHIVE_OK,
              archive_write_set_format_raw(archive) == ARCHIVE_OK,
              archive_write_set_filter_option(archive, "zstd", "compression-level", String(level)) == ARCHIVE_OK,
              // Without this, libarchive pads the last block with zeros after the zstd frame.
              archive_write_set_bytes_in_last_block(archive, 1) == ARCHIVE_OK
        else { throw DPMError.internal("Cannot start zstd compression: \(archiveMessage(archive, "libarchive refused the settings")).") }
        let context = Unmanaged.passUnretained(self).toOpaque()
        guard archive_write_open(archive, context, nil, { _, context, buffer, length in
            let reader = Unmanaged<CompressingReader>.fromOpaque(context!).takeUnretainedValue()
            if let buffer, length > 0 {
                reader.pending.append(contentsOf: UnsafeRawBufferPointer(start: buffer, count: length))
            }
            return la_ssize_t(length)
        }, nil) == ARCHIVE_OK else {
            throw DPMError.internal("Cannot start zstd compression: \(archiveMessage(archive, "open failed")).")
        }
        let entry = archive_entry_new()
        defer { archive_entry_free(entry) }
        archive_entry_set_filetype(entry, 0o100000) // AE_IFREG: a macro Swift does not import
        archive_entry_set_pathname(entry, "data")
        guard archive_write_header(archive, entry) == ARCHIVE_OK else {
            throw DPMError.internal("Cannot start zstd compression: \(archiveMessage(archive, "header refused")).")
        }
    }

    deinit {
        if let archive { archive_write_free(archive) }
        input.deallocate()
    }

    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        while pendingOffset == pending.count {
            pending.removeAll(keepingCapacity: true)
            pendingOffset = 0
            if finished { return 0 }
            let count = try source.read(into: input)
            if count == 0 {
                finished = true
                guard archive_write_close(archive) == ARCHIVE_OK else {
                    throw DPMError.internal("zstd compression failed: \(archiveMessage(archive, "close failed")).")
                }
            } else if archive_write_data(archive, input.baseAddress, count) != count {
                throw DPMError.internal("zstd compression failed: \(archiveMessage(archive, "write failed")).")
            }
        }
        let count = min(buffer.count, pending.count - pendingOffset)
        pending.withUnsafeBytes { bytes in
            buffer.copyMemory(from: UnsafeRawBufferPointer(rebasing: bytes[pendingOffset..<(pendingOffset + count)]))
        }
        pendingOffset += count
        return count
    }
}
