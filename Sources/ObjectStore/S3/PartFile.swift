import DatasetKit
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// One part of an upload on its way to S3: a temporary file whose name is gone as soon as it
/// is open (nothing is left behind whatever happens; its space goes back when the part is
/// sent), with the part's SHA-256 and CRC-32 taken from the bytes as they were written, so
/// that S3, which checks the body against them, refuses a part the disk did not give back intact.
final class PartFile: ByteWriter, @unchecked Sendable {
    let number: Int
    private let path: String
    private let writer: FileWriter
    private let readable: Int32
    private let sha256 = HashingWriter()
    private let crc32 = CRC32Writer()
    private(set) var size: Int64 = 0

    init(number: Int, directory: String) throws {
        self.number = number
        path = "\(directory)/dpm-s3-part-\(randomSuffix(16))"
        writer = try FileWriter(path: path, exclusive: true, mode: 0o600, durable: false)
        readable = open(path, O_RDONLY | O_CLOEXEC)
        let openError = errno
        unlink(path)
        guard readable >= 0 else {
            throw DPMError.systemCall("Cannot read back \(path), a part of an upload", errorNumber: openError)
        }
    }

    deinit { close(readable) }

    func write(_ bytes: UnsafeRawBufferPointer) throws {
        try writer.write(bytes)
        try sha256.write(bytes)
        try crc32.write(bytes)
        size += Int64(bytes.count)
    }

    func finish() throws {}

    /// The digests of everything written; read once the part is complete.
    var sha256Hex: String { sha256.hexDigest() }
    var crc32Base64: String { crc32.base64 }

    /// A reader of the whole part from its start (again, for a retry).
    func reader() throws -> ByteReader { try FileReader(duplicating: readable, path: path, length: size) }
}
