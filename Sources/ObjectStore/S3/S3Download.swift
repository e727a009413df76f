import DatasetKit
import Foundation

/// A temporary file that holds one object on its way from S3; unlinked as soon as it is
/// opened for reading, so nothing is left behind whatever happens.
final class Spool {
    let path: String
    let writer: FileWriter

    init(directory: String) throws {
        path = "\(directory)/dpm-s3-\(randomSuffix(16))"
        writer = try FileWriter(path: path, exclusive: true, mode: 0o600, durable: false)
    }

    deinit { unlink(path) }

    /// The one reader of a finished download; the file is unlinked at once.
    func reader() throws -> ByteReader {
        let reader = try FileReader(path: path)
        unlink(path)
        return reader
    }
}

/// The sink of a download that may be resumed: it counts what it holds, and when a server
/// answers a Range request with the whole object (200), it skips the bytes it already has.
final class ResumingWriter: ByteWriter {
    private let downstream: ByteWriter
    private(set) var written: Int64 = 0
    private var skip: Int64 = 0

    init(_ downstream: ByteWriter) { self.downstream = downstream }

    func begin(partial: Bool) { skip = partial ? 0 : written }

    func write(_ bytes: UnsafeRawBufferPointer) throws {
        var bytes = bytes
        if skip > 0 {
            let dropped = Int(min(skip, Int64(bytes.count)))
            skip -= Int64(dropped)
            bytes = UnsafeRawBufferPointer(rebasing: bytes[dropped...])
        }
        guard !bytes.isEmpty else { return }
        try downstream.write(bytes)
        written += Int64(bytes.count)
    }

    func finish() throws { try downstream.finish() }
}
