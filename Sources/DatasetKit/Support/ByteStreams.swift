import Foundation

/// A pull-based source of bytes. `read` returns 0 only at the end of the stream.
public protocol ByteReader: AnyObject {
    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int
}

/// A push-based sink of bytes. `finish` flushes and makes the bytes durable where that applies.
public protocol ByteWriter: AnyObject {
    func write(_ bytes: UnsafeRawBufferPointer) throws
    func finish() throws
}

/// The chunk size used by every streaming pipeline: large enough for throughput,
/// small enough that memory stays bounded whatever the data size.
public let streamChunkSize = 1 << 20

extension ByteReader {
    /// Copies the whole stream into `writer` (without finishing it) and returns the byte count.
    @discardableResult
    public func pump(into writer: ByteWriter) throws -> Int64 {
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: streamChunkSize, alignment: 16)
        defer { buffer.deallocate() }
        var total: Int64 = 0
        while true {
            let count = try read(into: buffer)
            if count == 0 { return total }
            try writer.write(UnsafeRawBufferPointer(rebasing: buffer[0..<count]))
            total += Int64(count)
        }
    }

    /// Reads the whole stream into memory; only for small things such as records and indexes.
    public func readAll(limit: Int = 256 << 20) throws -> Data {
        let sink = DataWriter()
        try pump(into: sink)
        guard sink.data.count <= limit else { throw DPMError.corrupt("An object is larger than expected (\(sink.data.count) bytes).") }
        return sink.data
    }
}

/// Reads from an in-memory buffer.
public final class DataReader: ByteReader {
    private let data: Data
    private var offset = 0

    public init(_ data: Data) { self.data = data }

    public func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        let count = min(buffer.count, data.count - offset)
        guard count > 0 else { return 0 }
        data.copyBytes(to: buffer.bindMemory(to: UInt8.self), from: offset..<(offset + count))
        offset += count
        return count
    }
}

/// Collects bytes in memory.
public final class DataWriter: ByteWriter {
    public private(set) var data = Data()
    public init() {}
    public func write(_ bytes: UnsafeRawBufferPointer) throws { data.append(contentsOf: bytes) }
    public func finish() throws {}
}

/// Discards bytes; used where only a hash or a count is wanted.
public final class NullWriter: ByteWriter {
    public init() {}
    public func write(_ bytes: UnsafeRawBufferPointer) throws {}
    public func finish() throws {}
}
