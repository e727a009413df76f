import DatasetKit
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The temporary file a store writes an object into, checked by the caller's `verify` while it
/// is still being written: the check reads on its own thread, waiting for the writer, so it
/// costs no time after the last byte instead of a second pass over the whole object.
final class VerifiedTemporaryFile: ByteWriter {
    private let file: FileWriter
    private let growth = FileGrowth()
    private let check: BackgroundWork<Void>?
    private var written: Int64 = 0

    /// - Parameter file: writes the file at `path`; `finish` finishes it too.
    init(path: String, writer file: FileWriter, verify: (@Sendable (ByteReader) throws -> Void)?) {
        self.file = file
        guard let verify else {
            check = nil
            return
        }
        let growth = growth
        check = BackgroundWork {
            let reader = try GrowingFileReader(path: path, growth: growth)
            try verify(reader)
        }
    }

    /// Whatever happens, a check still waiting for bytes must not wait forever.
    deinit { growth.end(complete: false) }

    func write(_ bytes: UnsafeRawBufferPointer) throws {
        try file.write(bytes)
        written += Int64(bytes.count)
        growth.advance(to: written)
    }

    func finish() throws {
        do {
            try file.finish()
        } catch {
            growth.end(complete: false)
            throw error
        }
        growth.end(complete: true)
    }

    /// Waits for the check of the finished file and rethrows its failure.
    func awaitVerdict() throws {
        try check?.wait()
    }

    /// Ends the check: after a failure of the writing side it stops waiting for bytes and its
    /// thread finishes; after a verdict it does nothing.
    func end() {
        growth.end(complete: false)
        _ = try? check?.wait()
    }
}

/// How much of a file its writer has written, and whether it is done: readers on other
/// threads wait on it for more bytes.
private final class FileGrowth: @unchecked Sendable {
    private let condition = NSCondition()
    private var length: Int64 = 0
    private var ending: Bool? // nil while growing, then whether the file is complete

    func advance(to length: Int64) {
        condition.withLock {
            self.length = length
            condition.broadcast()
        }
    }

    func end(complete: Bool) {
        condition.withLock {
            if ending == nil { ending = complete }
            condition.broadcast()
        }
    }

    /// Waits until bytes past `offset` exist or the writer is done; returns how many can be
    /// read from `offset` (0 at the end of a complete file).
    func available(after offset: Int64) throws -> Int64 {
        try condition.withLock {
            while length <= offset && ending == nil { condition.wait() }
            if ending == false { throw DPMError("The object being checked was not written to the end.") }
            return length - offset
        }
    }
}

/// Reads a file as its writer writes it.
private final class GrowingFileReader: ByteReader {
    private let file: FileReader
    private let growth: FileGrowth
    private var offset: Int64 = 0

    init(path: String, growth: FileGrowth) throws {
        file = try FileReader(path: path)
        self.growth = growth
    }

    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        let available = try growth.available(after: offset)
        guard available > 0 else { return 0 }
        let wanted = Int(min(Int64(buffer.count), available))
        let count = try file.read(into: UnsafeMutableRawBufferPointer(rebasing: buffer[0..<wanted]))
        if count == 0 { throw DPMError("The object being checked is shorter than what was written to it.") }
        offset += Int64(count)
        return count
    }
}
