import DatasetKit
import Foundation

/// Hashes the bytes of an object, and runs a store's `verify` over them, on another thread
/// while they are being written: the writer hands each chunk over through a small bounded
/// queue, so neither the hash nor the check costs the writer's thread time, nor a second pass
/// over a file after the last byte.
final class ConcurrentCheck: ByteWriter {
    private let downstream: ByteWriter?
    private let queue = ChunkQueue(capacity: 8 << 20)
    private let check: BackgroundWork<StoredBytes>

    /// - Parameter downstream: also receives every byte (and `finish`), if given.
    init(verify: (@Sendable (ByteReader) throws -> Void)?, forwardingTo downstream: ByteWriter? = nil) {
        self.downstream = downstream
        let queue = queue
        check = BackgroundWork {
            let stream = HashingReader(QueueReader(queue))
            do {
                try verify?(stream)
                try stream.pump(into: NullWriter()) // bytes the check left unread are stored too
            } catch {
                queue.stopReading()
                throw error
            }
            return StoredBytes(size: stream.byteCount, sha256: stream.hexDigest())
        }
    }

    /// Whatever happens, a check still waiting for bytes must not wait forever.
    deinit { queue.close(complete: false) }

    func write(_ bytes: UnsafeRawBufferPointer) throws {
        try downstream?.write(bytes)
        queue.push(bytes)
    }

    func finish() throws {
        do {
            try downstream?.finish()
        } catch {
            queue.close(complete: false)
            throw error
        }
        queue.close(complete: true)
    }

    /// Waits for the check of the finished object; returns the size and SHA-256 of what was
    /// written, or rethrows the check's failure.
    func awaitVerdict() throws -> StoredBytes {
        try check.wait()
    }

    /// Ends the check: after a failure of the writing side it stops waiting for bytes and its
    /// thread finishes; after a verdict it does nothing.
    func end() {
        queue.close(complete: false)
        _ = try? check.wait()
    }
}

/// Chunks on their way from a writer to a reader on another thread; the writer waits while
/// `capacity` bytes are queued.
private final class ChunkQueue: @unchecked Sendable {
    private let condition = NSCondition()
    private let capacity: Int
    private var chunks: [Data] = []
    private var queued = 0
    private var ending: Bool? // nil while open, then whether every byte was written
    private var readerGone = false

    init(capacity: Int) { self.capacity = capacity }

    func push(_ bytes: UnsafeRawBufferPointer) {
        guard !bytes.isEmpty else { return }
        let chunk = Data(bytes)
        condition.withLock {
            while queued >= capacity && !readerGone { condition.wait() }
            // A reader that stopped (its check failed or ended early) takes no more bytes.
            guard !readerGone else { return }
            chunks.append(chunk)
            queued += chunk.count
            condition.broadcast()
        }
    }

    func close(complete: Bool) {
        condition.withLock {
            if ending == nil { ending = complete }
            condition.broadcast()
        }
    }

    func stopReading() {
        condition.withLock {
            readerGone = true
            chunks = []
            condition.broadcast()
        }
    }

    /// The next chunk; nil at the end of a complete stream.
    func pop() throws -> Data? {
        try condition.withLock {
            while chunks.isEmpty && ending == nil { condition.wait() }
            if ending == false { throw DPMError.internal("The object being checked was not written to the end.") }
            guard !chunks.isEmpty else { return nil }
            let chunk = chunks.removeFirst()
            queued -= chunk.count
            condition.broadcast()
            return chunk
        }
    }
}

private final class QueueReader: ByteReader {
    private let queue: ChunkQueue
    private var current = Data()
    private var offset = 0

    init(_ queue: ChunkQueue) { self.queue = queue }

    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        while offset == current.count {
            guard let next = try queue.pop() else { return 0 }
            current = next
            offset = 0
        }
        let count = min(buffer.count, current.count - offset)
        current.copyBytes(to: buffer.bindMemory(to: UInt8.self), from: offset..<(offset + count))
        offset += count
        return count
    }
}
