import Foundation

/// Reads lines from the start of a stream and then hands on the rest of it unchanged: for a
/// text header in front of a binary payload.
final class LineReader: ByteReader {
    private let source: ByteReader
    private var buffer = [UInt8]()
    private var offset = 0
    private var ended = false

    init(_ source: ByteReader) { self.source = source }

    enum Line: Equatable {
        /// The bytes up to a line feed (which is not included).
        case complete([UInt8])
        /// Bytes and then the end of the stream, without a line feed.
        case unterminated([UInt8])
        case endOfStream
    }

    /// The next line; nil when it runs past `limit` bytes without a line feed.
    func nextLine(limit: Int) throws -> Line? {
        var scanned = 0
        while true {
            if let newline = buffer[(offset + scanned)...].firstIndex(of: 0x0A) {
                let line = Array(buffer[offset..<newline])
                offset = newline + 1
                return .complete(line)
            }
            scanned = buffer.count - offset
            if scanned > limit { return nil }
            guard try fill() else {
                let rest = Array(buffer[offset...])
                offset = buffer.count
                return rest.isEmpty ? .endOfStream : .unterminated(rest)
            }
        }
    }

    /// Exactly `count` bytes, or fewer when the stream ends first.
    func next(_ count: Int) throws -> [UInt8] {
        while buffer.count - offset < count, try fill() {}
        let taken = Array(buffer[offset..<min(buffer.count, offset + count)])
        offset += taken.count
        return taken
    }

    /// The first `count` bytes still to come, without taking them.
    func peek(_ count: Int) throws -> [UInt8] {
        while buffer.count - offset < count, try fill() {}
        return Array(buffer[offset..<min(buffer.count, offset + count)])
    }

    func read(into target: UnsafeMutableRawBufferPointer) throws -> Int {
        if offset < buffer.count {
            let count = min(target.count, buffer.count - offset)
            buffer.withUnsafeBytes { bytes in
                target.baseAddress!.copyMemory(from: bytes.baseAddress! + offset, byteCount: count)
            }
            offset += count
            if offset == buffer.count {
                buffer.removeAll(keepingCapacity: false)
                offset = 0
            }
            return count
        }
        return ended ? 0 : try source.read(into: target)
    }

    /// Reads more from the source; false at its end.
    private func fill() throws -> Bool {
        guard !ended else { return false }
        if offset > 0, offset == buffer.count {
            buffer.removeAll(keepingCapacity: true)
            offset = 0
        }
        var chunk = [UInt8](repeating: 0, count: 4096)
        let count = try chunk.withUnsafeMutableBytes { try source.read(into: $0) }
        if count == 0 {
            ended = true
            return false
        }
        buffer.append(contentsOf: chunk[..<count])
        return true
    }
}
