@testable import DatasetKit
import Foundation
import XCTest

/// The stored form of an encrypted store's objects: header, then age's STREAM payload. Every
/// size class round-trips, and every change, cut or wrong key is refused as corrupt.
final class SealedObjectTests: XCTestCase {
    private let chunk = PayloadStream.chunkSize
    private let first = StoreKey.generate(generation: 1)
    private let second = StoreKey.generate(generation: 2)

    private func keys(_ generation: Int) -> StoreKey? {
        [1: first, 2: second][generation]
    }

    private func seal(_ plaintext: Data, with key: StoreKey? = nil) throws -> Data {
        try SealedObject.sealing(DataReader(plaintext), with: key ?? first).readAll(limit: 64 << 20)
    }

    /// Opens and reads to the end through a small buffer, as a decompressor pulls.
    private func open(_ sealed: Data, keys: ((Int) -> StoreKey?)? = nil) throws -> Data {
        let reader = try SealedObject.opening(DataReader(sealed), keys: keys ?? self.keys, name: "it")
        var out = Data()
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 4093, alignment: 1)
        defer { buffer.deallocate() }
        while true {
            let count = try reader.read(into: buffer)
            if count == 0 { return out }
            out.append(contentsOf: UnsafeRawBufferPointer(rebasing: buffer[..<count]))
        }
    }

    private func refusal(_ sealed: Data, keys: ((Int) -> StoreKey?)? = nil) -> DPMError? {
        do {
            _ = try open(sealed, keys: keys)
            return nil
        } catch {
            return error as? DPMError
        }
    }

    private func random(_ count: Int) -> Data { Data((0..<count).map { _ in UInt8.random(in: 0...255) }) }

    func testEverySizeClassRoundTripsWithAnAgeSizedPayload() throws {
        for size in [0, 1, 100, chunk - 1, chunk, chunk + 1, 2 * chunk, 2 * chunk + 1, 3 * chunk + 17, 1 << 20] {
            let plaintext = random(size)
            let sealed = try seal(plaintext)
            // age's STREAM: one chunk per 64 KiB begun, at least one, never an empty last chunk after a full one.
            let chunks = max(1, (size + chunk - 1) / chunk)
            XCTAssertEqual(sealed.count, SealedObject.headerSize + size + chunks * PayloadStream.tagSize, "size \(size)")
            XCTAssertEqual(try open(sealed), plaintext, "size \(size)")
        }
    }

    func testTheHeaderNamesMagicVersionGenerationAndAFreshNonce() throws {
        let content = Data("same content".utf8)
        let a = try seal(content, with: second), b = try seal(content, with: second)
        XCTAssertEqual(SealedObject.headerSize, 27)
        XCTAssertEqual(Data(a.prefix(11)), Data("DPMOBJ".utf8) + Data([1, 0, 0, 0, 2]))
        XCTAssertEqual(SealedObject.generation(ofHeader: a), 2)
        XCTAssertNotEqual(a[11..<27], b[11..<27], "a random nonce per object")
        XCTAssertNotEqual(a.suffix(from: 27), b.suffix(from: 27), "so the same content never seals the same way")
        XCTAssertEqual(try open(a), content)
        XCTAssertNil(SealedObject.generation(ofHeader: Data("plain".utf8)))
    }

    func testAFlippedBitAnywhereIsRefusedAsCorrupt() throws {
        let sealed = try seal(random(2 * chunk + 300))
        // Every header byte, both sides of each chunk boundary, each tag, and a spread of the rest.
        var positions = Set(0..<SealedObject.headerSize)
        for boundary in [chunk + 16, 2 * (chunk + 16)] {
            positions.formUnion((boundary - 20)..<(boundary + 20))
        }
        positions.formUnion(stride(from: 0, to: sealed.count, by: 997))
        positions.formUnion((sealed.count - 20)..<sealed.count)
        for position in positions.sorted() where position < sealed.count {
            var changed = sealed
            changed[position] ^= 0x04
            let error = refusal(changed)
            XCTAssertEqual(error?.kind, .corrupt, "byte \(position): \(error?.message ?? "accepted")")
        }
    }

    func testTheRefusalsSaySentences() throws {
        let sealed = try seal(random(chunk + 10))
        var payload = sealed
        payload[40] ^= 1
        XCTAssertEqual(refusal(payload)?.message, "it fails authentication in chunk 1 of its encrypted payload: its bytes were changed.")
        var magic = sealed
        magic[0] = 0x78
        XCTAssertEqual(refusal(magic)?.message, "it does not start like an encrypted object of dpm: it was replaced or damaged.")
        var version = sealed
        version[6] = 9
        XCTAssertEqual(refusal(version)?.message, "it has object format 9 in its header, where dpm writes 1: it was changed, or written by a newer dpm.")
        XCTAssertEqual(refusal(Data(sealed.prefix(20)))?.message, "it is truncated: it ends within the 27-byte header of an encrypted object.")
        XCTAssertEqual(refusal(Data(sealed.prefix(27)))?.message, "it is truncated: its encrypted payload ends before its last chunk.")
        XCTAssertEqual(refusal(Data(sealed.prefix(27 + chunk + 16)))?.message,
                       "it is truncated: its encrypted payload ends after chunk 1, before its last chunk.")
        XCTAssertEqual(refusal(Data(sealed.dropLast(3)))?.kind, .corrupt)
        XCTAssertEqual(refusal(sealed + Data([0]))?.kind, .corrupt, "bytes appended after the last chunk")
    }

    func testAnotherGenerationOrAnotherStoresKeyOpensNothing() throws {
        let sealed = try seal(Data("rows".utf8), with: first)
        var claimsSecond = sealed
        claimsSecond[10] = 2
        XCTAssertEqual(refusal(claimsSecond)?.message, "it fails authentication in chunk 1 of its encrypted payload: its bytes were changed, or was cut short.")
        var unknown = sealed
        unknown[10] = 9
        XCTAssertEqual(refusal(unknown)?.message,
                       "it names key generation 9 in its header, which the store has no key of: it was changed or not written for this store.")
        let otherStore = StoreKey.generate(generation: 1)
        XCTAssertEqual(refusal(sealed, keys: { $0 == 1 ? otherStore : nil })?.kind, .corrupt)
        XCTAssertEqual(try open(try seal(Data("rows".utf8), with: second)), Data("rows".utf8), "older and newer generations both open")
    }

    func testSealingStreamsInBoundedSteps() throws {
        // A source that never hands out more than it is asked: the sealer pulls a chunk at a time.
        final class CountingReader: ByteReader {
            var remaining: Int
            var largestRequest = 0
            init(_ count: Int) { remaining = count }
            func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
                largestRequest = max(largestRequest, buffer.count)
                let count = min(buffer.count, remaining)
                for index in 0..<count { buffer[index] = UInt8(truncatingIfNeeded: remaining - index) }
                remaining -= count
                return count
            }
        }
        let source = CountingReader(5 * chunk + 3)
        let sealed = SealedObject.sealing(source, with: first)
        let sink = HashingWriter()
        let total = try sealed.pump(into: sink)
        XCTAssertEqual(total, Int64(SealedObject.headerSize + 5 * chunk + 3 + 6 * PayloadStream.tagSize))
        XCTAssertLessThanOrEqual(source.largestRequest, chunk + 1, "one chunk (and a byte) read ahead at most")
    }
}
