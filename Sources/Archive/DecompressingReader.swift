import CZstd
import DatasetKit

/// Reads a zstd stream (one frame or several in a row) from `source` with libzstd's streaming
/// decoder. Not libarchive's read filter: that one bids again on what it decompressed, so
/// content that is itself a zstd frame (a patch, a `.zst` media file) came out decompressed
/// twice, or not at all.
final class DecompressingReader: ByteReader {
    private let source: ByteReader
    private let context: OpaquePointer
    private let input = UnsafeMutableRawBufferPointer.allocate(byteCount: streamChunkSize, alignment: 16)
    private var available = 0
    private var consumed = 0
    private var sourceEnded = false
    /// libzstd's hint after the last call: 0 when a frame just ended (the stream may end here).
    private var frameOpen = true

    init(source: ByteReader) throws {
        self.source = source
        guard let context = ZSTD_createDCtx() else {
            input.deallocate()
            throw DPMError.system("Cannot start zstd decompression: out of memory.")
        }
        self.context = context
        try refill()
        // A zstd frame, or a skippable frame (pzstd starts with one).
        let first = Array(input.prefix(min(4, available)))
        let isFrame = first == [0x28, 0xB5, 0x2F, 0xFD]
        let isSkippable = first.count == 4 && first[0] & 0xF0 == 0x50 && first[1...] == [0x2A, 0x4D, 0x18]
        guard isFrame || isSkippable else { throw DPMError.corrupt("it is not a zstd stream") }
    }

    deinit {
        ZSTD_freeDCtx(context)
        input.deallocate()
    }

    private func refill() throws {
        available = 0
        consumed = 0
        while available == 0, !sourceEnded {
            let count = try source.read(into: input)
            if count == 0 { sourceEnded = true }
            available = count
        }
    }

    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        guard buffer.count > 0 else { return 0 }
        while true {
            if consumed == available {
                if sourceEnded { break }
                try refill()
                if available == 0 { break }
            }
            var inBuffer = ZSTD_inBuffer(src: input.baseAddress! + consumed, size: available - consumed, pos: 0)
            var outBuffer = ZSTD_outBuffer(dst: buffer.baseAddress, size: buffer.count, pos: 0)
            let hint = ZSTD_decompressStream(context, &outBuffer, &inBuffer)
            if ZSTD_isError(hint) != 0 {
                throw DPMError.corrupt("its zstd stream is damaged (\(String(cString: ZSTD_getErrorName(hint))))")
            }
            consumed += inBuffer.pos
            frameOpen = hint != 0
            if outBuffer.pos > 0 { return outBuffer.pos }
        }
        // The source is at its end: whatever the decoder still holds is flushed, and a frame
        // left open is a stream cut short.
        var inBuffer = ZSTD_inBuffer(src: nil, size: 0, pos: 0)
        var outBuffer = ZSTD_outBuffer(dst: buffer.baseAddress, size: buffer.count, pos: 0)
        if frameOpen {
            let hint = ZSTD_decompressStream(context, &outBuffer, &inBuffer)
            if ZSTD_isError(hint) != 0 {
                throw DPMError.corrupt("its zstd stream is damaged (\(String(cString: ZSTD_getErrorName(hint))))")
            }
            frameOpen = hint != 0
            if outBuffer.pos > 0 { return outBuffer.pos }
            if frameOpen { throw DPMError.corrupt("its zstd stream is damaged (it ends inside a frame)") }
        }
        return 0
    }
}
