import Crypto
import Foundation

/// age's payload encryption, the STREAM construction: the plaintext in 64 KiB chunks, each
/// sealed with ChaCha20-Poly1305 under one key and a nonce of an 11-byte big-endian chunk
/// counter and a last-chunk flag byte. Reordering, dropping or appending a chunk fails
/// authentication, and memory stays one chunk whatever the size. The key must be used for one
/// stream only (age derives it from the file key and a random nonce; so must any other user).
public enum PayloadStream {
    public static let chunkSize = 64 << 10
    public static let tagSize = 16
    public static let sealedChunkSize = chunkSize + tagSize

    static func nonce(counter: UInt64, last: Bool) -> ChaChaPoly.Nonce {
        var bytes = [UInt8](repeating: 0, count: 12)
        for index in 0..<8 { bytes[3 + index] = UInt8(truncatingIfNeeded: counter >> (8 * (7 - index))) }
        bytes[11] = last ? 1 : 0
        return try! ChaChaPoly.Nonce(data: bytes) // 12 bytes is ChaCha20-Poly1305's nonce size
    }

    static func seal(_ plaintext: UnsafeRawBufferPointer, key: SymmetricKey, counter: UInt64, last: Bool) throws -> Data {
        let box = try ChaChaPoly.seal(plaintext, using: key, nonce: nonce(counter: counter, last: last))
        var sealed = box.ciphertext
        sealed.append(box.tag)
        return sealed
    }

    /// The plaintext of one sealed chunk, or nil when it fails authentication with that flag.
    static func open(_ sealed: UnsafeRawBufferPointer, key: SymmetricKey, counter: UInt64, last: Bool) -> Data? {
        guard sealed.count >= tagSize else { return nil }
        let split = sealed.count - tagSize
        guard let box = try? ChaChaPoly.SealedBox(nonce: nonce(counter: counter, last: last),
                                                  ciphertext: UnsafeRawBufferPointer(rebasing: sealed[..<split]),
                                                  tag: UnsafeRawBufferPointer(rebasing: sealed[split...])) else { return nil }
        return try? ChaChaPoly.open(box, using: key)
    }
}

/// Reads plaintext from `source` and yields the sealed payload (no nonce or header): for a
/// store's pull-based `put`.
public final class StreamSealingReader: ByteReader {
    private let source: ByteReader
    private let key: SymmetricKey
    private var counter: UInt64 = 0
    /// Plaintext read ahead: one chunk, and one byte more to know whether it is the last.
    private let plain = UnsafeMutableRawBufferPointer.allocate(byteCount: PayloadStream.chunkSize + 1, alignment: 16)
    private var plainCount = 0
    private var sourceEnded = false
    private var output = Data()
    private var outputOffset = 0
    private var sealedLast = false

    public init(_ source: ByteReader, key: SymmetricKey) {
        self.source = source
        self.key = key
    }

    deinit { plain.deallocate() }

    public func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        if outputOffset == output.count {
            guard !sealedLast else { return 0 }
            try sealNextChunk()
        }
        let count = min(buffer.count, output.count - outputOffset)
        output.withUnsafeBytes { bytes in
            buffer.baseAddress!.copyMemory(from: bytes.baseAddress! + outputOffset, byteCount: count)
        }
        outputOffset += count
        return count
    }

    private func sealNextChunk() throws {
        while !sourceEnded, plainCount < plain.count {
            let count = try source.read(into: UnsafeMutableRawBufferPointer(rebasing: plain[plainCount...]))
            if count == 0 { sourceEnded = true } else { plainCount += count }
        }
        let last = plainCount <= PayloadStream.chunkSize
        let length = min(plainCount, PayloadStream.chunkSize)
        output = try PayloadStream.seal(UnsafeRawBufferPointer(rebasing: plain[..<length]), key: key, counter: counter, last: last)
        outputOffset = 0
        counter += 1
        sealedLast = last
        if !last {
            plain[0] = plain[PayloadStream.chunkSize]
            plainCount = 1
        }
    }
}

/// Takes plaintext pushed into it and writes the sealed payload to `downstream`; `finish`
/// seals the last chunk and finishes `downstream`.
public final class StreamSealingWriter: ByteWriter {
    private let downstream: ByteWriter
    private let key: SymmetricKey
    private var counter: UInt64 = 0
    private let plain = UnsafeMutableRawBufferPointer.allocate(byteCount: PayloadStream.chunkSize, alignment: 16)
    private var plainCount = 0
    private var finished = false

    public init(_ downstream: ByteWriter, key: SymmetricKey) {
        self.downstream = downstream
        self.key = key
    }

    deinit { plain.deallocate() }

    public func write(_ bytes: UnsafeRawBufferPointer) throws {
        var offset = 0
        while offset < bytes.count {
            // A full chunk is sealed only once more bytes come: until then it may be the last.
            if plainCount == PayloadStream.chunkSize { try emit(last: false) }
            let count = min(bytes.count - offset, PayloadStream.chunkSize - plainCount)
            (plain.baseAddress! + plainCount).copyMemory(from: bytes.baseAddress! + offset, byteCount: count)
            plainCount += count
            offset += count
        }
    }

    public func finish() throws {
        guard !finished else { return }
        finished = true
        try emit(last: true)
        try downstream.finish()
    }

    private func emit(last: Bool) throws {
        let sealed = try PayloadStream.seal(UnsafeRawBufferPointer(rebasing: plain[..<plainCount]), key: key, counter: counter, last: last)
        try sealed.withUnsafeBytes { try downstream.write($0) }
        counter += 1
        plainCount = 0
    }
}

/// Reads a sealed payload from `source` and yields its plaintext, chunk by chunk, after each
/// chunk is authenticated. A changed byte, a dropped or reordered chunk, a missing last chunk
/// and bytes after it each fail with a sentence about `name`.
public final class StreamOpeningReader: ByteReader {
    private let source: ByteReader
    private let key: SymmetricKey
    private let name: String
    private var counter: UInt64 = 0
    private let sealed = UnsafeMutableRawBufferPointer.allocate(byteCount: PayloadStream.sealedChunkSize + 1, alignment: 16)
    private var sealedCount = 0
    private var sourceEnded = false
    private var output = Data()
    private var outputOffset = 0
    private var openedLast = false

    /// `name` says what is read in messages ("keys/ab12….age", "object 3f…").
    public init(_ source: ByteReader, key: SymmetricKey, name: String) {
        self.source = source
        self.key = key
        self.name = name
    }

    deinit { sealed.deallocate() }

    public func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        while outputOffset == output.count {
            guard !openedLast else { return 0 }
            try openNextChunk()
        }
        let count = min(buffer.count, output.count - outputOffset)
        output.withUnsafeBytes { bytes in
            buffer.baseAddress!.copyMemory(from: bytes.baseAddress! + outputOffset, byteCount: count)
        }
        outputOffset += count
        return count
    }

    private func openNextChunk() throws {
        while !sourceEnded, sealedCount < sealed.count {
            let count = try source.read(into: UnsafeMutableRawBufferPointer(rebasing: sealed[sealedCount...]))
            if count == 0 { sourceEnded = true } else { sealedCount += count }
        }
        if sealedCount == 0 {
            throw DPMError.corrupt("\(name) is truncated: its encrypted payload ends before its last chunk.")
        }
        let last = sealedCount <= PayloadStream.sealedChunkSize
        let length = min(sealedCount, PayloadStream.sealedChunkSize)
        let chunk = UnsafeRawBufferPointer(rebasing: sealed[..<length])
        guard let plaintext = PayloadStream.open(chunk, key: key, counter: counter, last: last) else {
            // A whole chunk that authenticates as a middle one, with nothing after it, is a
            // payload cut at a chunk boundary; anything else was changed (or cut mid-chunk).
            if last, length == PayloadStream.sealedChunkSize, PayloadStream.open(chunk, key: key, counter: counter, last: false) != nil {
                throw DPMError.corrupt("\(name) is truncated: its encrypted payload ends after chunk \(counter + 1), before its last chunk.")
            }
            if !last, PayloadStream.open(chunk, key: key, counter: counter, last: true) != nil {
                throw DPMError.corrupt("\(name) has bytes after the last chunk of its encrypted payload: they were added.")
            }
            let cut = last && length < PayloadStream.sealedChunkSize ? ", or was cut short" : ""
            throw DPMError.corrupt("\(name) fails authentication in chunk \(counter + 1) of its encrypted payload: its bytes were changed\(cut).")
        }
        if last, plaintext.isEmpty, counter > 0 {
            throw DPMError.corrupt("\(name) ends with an empty chunk, which age never writes: its bytes were changed.")
        }
        output = plaintext
        outputOffset = 0
        counter += 1
        openedLast = last
        if !last {
            sealed[0] = sealed[PayloadStream.sealedChunkSize]
            sealedCount = 1
        }
    }
}
