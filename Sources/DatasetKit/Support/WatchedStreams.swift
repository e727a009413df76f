import Foundation

/// A reader that remembers the error its source threw and counts the bytes it passed on, so
/// that whoever reads through it (a decompressor that wraps every failure in its own words)
/// can tell the source failing from the bytes being wrong.
final class WatchedReader: ByteReader {
    private let source: ByteReader
    private(set) var failure: Error?
    private(set) var count: Int64 = 0

    init(_ source: ByteReader) { self.source = source }

    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        do {
            let read = try source.read(into: buffer)
            count += Int64(read)
            return read
        } catch {
            failure = error
            throw error
        }
    }
}

/// A writer that remembers the error its destination threw (see `WatchedReader`).
final class WatchedWriter: ByteWriter {
    private let destination: ByteWriter
    private(set) var failure: Error?

    init(_ destination: ByteWriter) { self.destination = destination }

    func write(_ bytes: UnsafeRawBufferPointer) throws {
        do { try destination.write(bytes) } catch {
            failure = error
            throw error
        }
    }

    func finish() throws {
        do { try destination.finish() } catch {
            failure = error
            throw error
        }
    }
}
