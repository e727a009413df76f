import DatasetKit
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// One part of an upload on its way to S3: a temporary file that has no name from the start
/// (nothing is left behind whatever happens; its space goes back when the part is sent), the
/// part's SHA-256 and CRC-32 taken from the bytes as they were written, so that S3, which
/// checks the body against them, refuses a part the disk did not give back intact.
final class PartFile: ByteWriter, @unchecked Sendable {
    let number: Int
    private let fd: Int32
    private let sha256 = HashingWriter()
    private let crc32 = CRC32Writer()
    private(set) var size: Int64 = 0

    init(number: Int, directory: String) throws {
        self.number = number
        let path = "\(directory)/dpm-s3-part-\(randomSuffix(16))"
        fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard fd >= 0 else {
            throw DPMError("Cannot create a temporary file in \(directory) for an upload: \(String(cString: strerror(errno))).")
        }
        unlink(path)
    }

    deinit { close(fd) }

    func write(_ bytes: UnsafeRawBufferPointer) throws {
        var offset = 0
        while offset < bytes.count {
            let count = pwrite(fd, bytes.baseAddress! + offset, bytes.count - offset, off_t(size) + off_t(offset))
            if count < 0 {
                if errno == EINTR { continue }
                throw DPMError("Cannot write a temporary part of an upload: \(String(cString: strerror(errno))).")
            }
            offset += count
        }
        try sha256.write(bytes)
        try crc32.write(bytes)
        size += Int64(bytes.count)
    }

    func finish() throws {}

    /// The digests of everything written; read once the part is complete.
    var sha256Hex: String { sha256.hexDigest() }
    var crc32Base64: String { crc32.base64 }

    /// A reader of the whole part from its start (again, for a retry).
    func reader() -> ByteReader { PartReader(fd: fd, size: size) }
}

private final class PartReader: ByteReader {
    private let fd: Int32
    private let size: Int64
    private var offset: Int64 = 0

    init(fd: Int32, size: Int64) {
        self.fd = fd
        self.size = size
    }

    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        let wanted = Int(min(Int64(buffer.count), size - offset))
        guard wanted > 0 else { return 0 }
        while true {
            let count = pread(fd, buffer.baseAddress, wanted, off_t(offset))
            if count < 0, errno == EINTR { continue }
            guard count > 0 else {
                throw DPMError("Cannot read back a temporary part of an upload: \(count < 0 ? String(cString: strerror(errno)) : "it is shorter than written").")
            }
            offset += Int64(count)
            return count
        }
    }
}
