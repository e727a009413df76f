import CZlib
import DatasetKit
import Foundation

/// The CRC-32 of the bytes written to it (zlib's, the checksum S3 calls CRC32), in the
/// base64 of its four big-endian bytes, as S3 headers and documents carry it.
final class CRC32Writer: ByteWriter {
    private var crc: UInt = crc32_z(0, nil, 0)

    func write(_ bytes: UnsafeRawBufferPointer) throws {
        guard let base = bytes.baseAddress, !bytes.isEmpty else { return }
        crc = crc32_z(crc, base.assumingMemoryBound(to: UInt8.self), bytes.count)
    }

    func finish() throws {}

    var base64: String {
        let value = UInt32(truncatingIfNeeded: crc)
        return Data([UInt8(value >> 24), UInt8(value >> 16 & 0xff), UInt8(value >> 8 & 0xff), UInt8(value & 0xff)]).base64EncodedString()
    }
}
