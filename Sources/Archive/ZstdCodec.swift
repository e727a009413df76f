import CLibArchive
import DatasetKit

/// zstd streams through libarchive's zstd filter and raw format. Both directions are
/// pull-based and keep only a chunk or two in memory.
public struct ZstdCodec: CompressionCodec {
    public let level: Int

    public init(level: Int = 3) {
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

/// Reads a zstd stream from `source` through libarchive's read filter.
final class DecompressingReader: ByteReader {
    private let source: ByteReader
    private var archive: OpaquePointer?
    fileprivate let input = UnsafeMutableRawBufferPointer.allocate(byteCount: streamChunkSize, alignment: 16)
    fileprivate var sourceError: Error?
    private var atEnd = false

    init(source: ByteReader) throws {
        self.source = source
        archive = archive_read_new()
        guard let archive else { throw DPMError.system("Cannot start zstd decompression: out of memory.") }
        archive_read_support_filter_zstd(archive)
        archive_read_support_format_raw(archive)
        // The raw format bids only on at least one byte; "empty" recognizes zstd frames of empty content.
        archive_read_support_format_empty(archive)
        let context = Unmanaged.passUnretained(self).toOpaque()
        let opened = archive_read_open(archive, context, nil, { _, context, buffer in
            let reader = Unmanaged<DecompressingReader>.fromOpaque(context!).takeUnretainedValue()
            do {
                let count = try reader.source.read(into: reader.input)
                buffer?.pointee = UnsafeRawPointer(reader.input.baseAddress)
                return la_ssize_t(count)
            } catch {
                reader.sourceError = error
                return -1
            }
        }, nil)
        if let sourceError { throw sourceError }
        guard opened == ARCHIVE_OK else {
            throw DPMError.corrupt("it is not a zstd stream (\(archiveMessage(archive, "unreadable")))")
        }
        guard archive_filter_count(archive) > 1, archive_filter_code(archive, 0) == ARCHIVE_FILTER_ZSTD else {
            throw DPMError.corrupt("it is not a zstd stream")
        }
        var entry: OpaquePointer?
        let status = archive_read_next_header(archive, &entry)
        if let sourceError { throw sourceError }
        if status == ARCHIVE_EOF {
            atEnd = true
        } else if status != ARCHIVE_OK {
            throw DPMError.corrupt("its zstd stream is damaged (\(archiveMessage(archive, "unreadable")))")
        }
    }

    deinit {
        if let archive { archive_read_free(archive) }
        input.deallocate()
    }

    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        if atEnd { return 0 }
        let count = archive_read_data(archive, buffer.baseAddress, buffer.count)
        if let sourceError { throw sourceError }
        guard count >= 0 else {
            throw DPMError.corrupt("its zstd stream is damaged (\(archiveMessage(archive, "read failed")))")
        }
        if count == 0 { atEnd = true }
        return count
    }
}
