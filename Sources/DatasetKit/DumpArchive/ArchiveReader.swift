import Foundation

/// Reads pg_dump's archive primitives (`ReadInt`, `ReadStr`, `ReadOffset` in
/// src/bin/pg_dump/pg_backup_archiver.c) from a stream, in order, keeping a copy of the bytes
/// read while `recording` so that parts of the table of contents can be written out unchanged.
final class ArchiveReader {
    private let source: ByteReader
    private var buffer = [UInt8](repeating: 0, count: 64 << 10)
    private var start = 0
    private var end = 0
    /// Bytes consumed so far, for messages.
    private(set) var position: Int64 = 0
    /// Set once the header says so.
    var intSize = 4
    var offsetSize = 8
    var version = ArchiveVersion(major: 1, minor: 0, revision: 0)
    private(set) var recorded: [UInt8] = []
    var recording = false

    init(source: ByteReader) {
        self.source = source
    }

    /// Refills the buffer; false at the end of the stream.
    private func fill() throws -> Bool {
        if start < end { return true }
        let count = try buffer.withUnsafeMutableBytes { try source.read(into: $0) }
        start = 0
        end = count
        return count > 0
    }

    /// The next byte; nil at the end of the stream.
    func nextByte() throws -> UInt8? {
        guard try fill() else { return nil }
        let value = buffer[start]
        start += 1
        position += 1
        if recording { recorded.append(value) }
        return value
    }

    func byte() throws -> UInt8 {
        guard let value = try nextByte() else { throw Self.truncated(at: position) }
        return value
    }

    /// Exactly `count` bytes into `body`'s buffers, without holding them all at once.
    func bytes(_ count: Int, into body: (UnsafeRawBufferPointer) throws -> Void) throws {
        var remaining = count
        while remaining > 0 {
            guard try fill() else { throw Self.truncated(at: position) }
            let take = min(remaining, end - start)
            try buffer.withUnsafeBytes { try body(UnsafeRawBufferPointer(rebasing: $0[start..<(start + take)])) }
            if recording { recorded.append(contentsOf: buffer[start..<(start + take)]) }
            start += take
            position += Int64(take)
            remaining -= take
        }
    }

    /// `ReadInt`: a sign byte (archives after 1.0), then `intSize` bytes, least significant first.
    func int() throws -> Int {
        let negative = version.atLeast(1, 1) ? try byte() != 0 : false
        var value = 0
        for index in 0..<intSize {
            let next = Int(try byte())
            if index < 8 { value |= next << (8 * index) }
        }
        return negative ? -value : value
    }

    /// `ReadStr`: a length (negative: no string), then the bytes.
    func string() throws -> String? {
        let length = try int()
        guard length >= 0 else { return nil }
        guard length <= 1 << 30 else {
            throw DPMError.corrupt("its table of contents holds a string of \(length) bytes at byte \(position), so it is damaged")
        }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(length)
        try self.bytes(length) { bytes.append(contentsOf: $0) }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// `ReadOffset`: a flag byte (whether the data's position is known), then `offsetSize` bytes.
    func offset() throws -> (flag: UInt8, value: Int64) {
        let flag = try byte()
        var value: Int64 = 0
        for index in 0..<offsetSize {
            let next = Int64(try byte())
            if index < 8 { value |= next << (8 * Int64(index)) }
        }
        return (flag, value)
    }

    /// Starts keeping a copy of what is read from here on.
    func startRecording() {
        recorded.removeAll(keepingCapacity: true)
        recording = true
    }

    /// The bytes read since `startRecording`.
    func stopRecording() -> [UInt8] {
        recording = false
        return recorded
    }

    static func truncated(at position: Int64) -> DPMError {
        DPMError.corrupt("\(truncation) \(position), in the middle of an archive field")
    }

    /// How a message about a stream that ended too early starts.
    static let truncation = "the file ends at byte"
}

/// An archive format version: 1.14.0 for pg_dump 12 to 15, 1.15 for 16, 1.16 for 17.
public struct ArchiveVersion: Sendable, Equatable, Comparable, CustomStringConvertible {
    public var major: Int
    public var minor: Int
    public var revision: Int

    public func atLeast(_ major: Int, _ minor: Int) -> Bool { (self.major, self.minor) >= (major, minor) }

    public static func < (a: ArchiveVersion, b: ArchiveVersion) -> Bool {
        (a.major, a.minor, a.revision) < (b.major, b.minor, b.revision)
    }

    public var description: String { "\(major).\(minor).\(revision)" }
}

/// Writes pg_dump's archive primitives, as `WriteInt`/`WriteStr` do.
struct ArchiveWriter {
    let intSize: Int
    private(set) var bytes: [UInt8] = []

    init(intSize: Int) { self.intSize = intSize }

    mutating func append(_ raw: [UInt8]) { bytes += raw }

    mutating func int(_ value: Int) {
        bytes.append(value < 0 ? 1 : 0)
        var magnitude = value.magnitude
        for _ in 0..<intSize {
            bytes.append(UInt8(truncatingIfNeeded: magnitude))
            magnitude >>= 8
        }
    }

    mutating func string(_ value: String?) {
        guard let value else { return int(-1) }
        let utf8 = Array(value.utf8)
        int(utf8.count)
        bytes += utf8
    }
}
