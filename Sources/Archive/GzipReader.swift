import CZlib
import DatasetKit

/// Reads a gzip stream (one member or several, as `cat a.gz b.gz` makes) through zlib, which
/// checks each member's CRC-32 and length: libarchive's gzip filter does not, and a damaged
/// dump must fail as damaged rather than load as garbage. With the zlib wrapper (the table data
/// inside a pg_dump custom-format file), one stream, checked by its Adler-32.
final class GzipReader: ByteReader {
    enum Wrapper {
        case gzip, zlib
    }

    private let wrapper: Wrapper
    private let source: ByteReader
    private var stream = z_stream()
    private let input = UnsafeMutableRawBufferPointer.allocate(byteCount: streamChunkSize, alignment: 16)
    private var sourceEnded = false
    /// Whether a member is open (its header read, its end not yet reached).
    private var inMember = false
    private var finished = false

    init(source: ByteReader, wrapper: Wrapper = .gzip) throws {
        self.source = source
        self.wrapper = wrapper
        // The largest window; + 16: a gzip wrapper, not zlib's.
        guard inflateInit2_(&stream, wrapper == .gzip ? 15 + 16 : 15, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            throw DPMError.system("Cannot start gzip decompression: zlib refused to start.")
        }
    }

    deinit {
        inflateEnd(&stream)
        input.deallocate()
    }

    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        guard !finished, buffer.count > 0 else { return 0 }
        while true {
            if stream.avail_in == 0, !sourceEnded {
                let count = try source.read(into: input)
                if count == 0 {
                    sourceEnded = true
                } else {
                    stream.next_in = input.baseAddress!.assumingMemoryBound(to: Bytef.self)
                    stream.avail_in = uInt(count)
                }
            }
            if stream.avail_in == 0, sourceEnded {
                guard !inMember else {
                    throw DPMError.corrupt(wrapper == .gzip ? "its gzip stream is damaged (it ends before its last member does)"
                                                            : "its zlib stream is damaged (it is cut short)")
                }
                finished = true
                return 0
            }
            stream.next_out = buffer.baseAddress!.assumingMemoryBound(to: Bytef.self)
            stream.avail_out = uInt(buffer.count)
            inMember = true
            let status = inflate(&stream, Z_NO_FLUSH)
            let produced = buffer.count - Int(stream.avail_out)
            switch status {
            case Z_STREAM_END where wrapper == .zlib:
                inMember = false
                finished = true
                return produced
            case Z_STREAM_END:
                // The member's CRC-32 and length matched; another member may follow.
                inMember = false
                guard inflateReset(&stream) == Z_OK else { throw DPMError.system("gzip decompression failed: zlib could not reset.") }
            case Z_OK, Z_BUF_ERROR:
                break
            default:
                let reason = stream.msg.map { String(cString: $0) } ?? "zlib error \(status)"
                throw DPMError.corrupt("its \(wrapper) stream is damaged (\(reason))")
            }
            if produced > 0 { return produced }
        }
    }
}
