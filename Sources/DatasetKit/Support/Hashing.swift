import Crypto
import Foundation

/// Computes SHA-256, or with a key HMAC-SHA256 (an encrypted store's object ids), of whatever
/// passes through it, counts its bytes and newlines, and forwards it to an optional
/// downstream writer.
public final class HashingWriter: ByteWriter {
    private var hasher: SHA256?
    private var keyed: HMAC<SHA256>?
    private let downstream: ByteWriter?
    private let countsLines: Bool
    public private(set) var byteCount: Int64 = 0
    public private(set) var newlineCount: Int64 = 0

    public init(forwardingTo downstream: ByteWriter? = nil, countingLines: Bool = false, key: SymmetricKey? = nil) {
        self.downstream = downstream
        self.countsLines = countingLines
        if let key { keyed = HMAC<SHA256>(key: key) } else { hasher = SHA256() }
    }

    public func write(_ bytes: UnsafeRawBufferPointer) throws {
        hasher?.update(bufferPointer: bytes)
        keyed?.update(data: bytes)
        byteCount += Int64(bytes.count)
        if countsLines { newlineCount += countNewlines(bytes) }
        try downstream?.write(bytes)
    }

    public func finish() throws { try downstream?.finish() }

    /// The lowercase hex digest; call once, after the last write.
    public func hexDigest() -> String {
        if let keyed { return SHA256Hex.string(keyed.finalize()) }
        return SHA256Hex.string(hasher!.finalize())
    }
}

/// Hashes whatever is read through it.
public final class HashingReader: ByteReader {
    private let source: ByteReader
    private var hasher = SHA256()
    public private(set) var byteCount: Int64 = 0

    public init(_ source: ByteReader) { self.source = source }

    public func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        let count = try source.read(into: buffer)
        if count > 0 {
            let slice = UnsafeRawBufferPointer(rebasing: buffer[0..<count])
            hasher.update(bufferPointer: slice)
            byteCount += Int64(count)
        }
        return count
    }

    public func hexDigest() -> String { SHA256Hex.string(hasher.finalize()) }
}

public enum SHA256Hex {
    public static func of(_ data: Data) -> String { string(SHA256.hash(data: data)) }

    /// Lowercase hex of any digest or byte sequence.
    public static func string<Bytes: Sequence>(_ bytes: Bytes) -> String where Bytes.Element == UInt8 {
        let digits = Array("0123456789abcdef".utf8)
        var text = [UInt8]()
        for byte in bytes {
            text.append(digits[Int(byte >> 4)])
            text.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: text, as: UTF8.self)
    }

    public static func isValid(_ text: String) -> Bool {
        text.utf8.count == 64 && text.utf8.allSatisfy { (48...57).contains($0) || (97...102).contains($0) }
    }
}

func countNewlines(_ bytes: UnsafeRawBufferPointer) -> Int64 {
    guard var cursor = bytes.baseAddress else { return 0 }
    let end = cursor + bytes.count
    var count: Int64 = 0
    while cursor < end, let hit = memchr(cursor, 0x0A, end - cursor) {
        count += 1
        cursor = UnsafeRawPointer(hit) + 1
    }
    return count
}

/// Counts line feeds, for a data file's row count where nothing else needs its whole digest.
public final class NewlineCounter: ByteWriter {
    public private(set) var count: Int64 = 0
    public init() {}
    public func write(_ bytes: UnsafeRawBufferPointer) throws { count += countNewlines(bytes) }
    public func finish() throws {}
}
