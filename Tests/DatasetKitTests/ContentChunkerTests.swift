@testable import DatasetKit
import Foundation
import XCTest

final class ContentChunkerTests: XCTestCase {
    /// Small sizes keep the tests fast while giving thousands of chunks.
    private let small = ChunkerParameters(minimum: 2 << 10, average: 8 << 10, maximum: 32 << 10)

    // MARK: - What every chunking must be

    func testChunksConcatenateToTheInputAndStayWithinTheSizeBounds() throws {
        // Random bytes, then a run of zeros (no cut point in it: only the maximum ends its
        // chunks), then random bytes again.
        let input = randomBytes(seed: 1, count: 1 << 20) + [UInt8](repeating: 0, count: 200 << 10)
            + randomBytes(seed: 2, count: (1 << 20) + 12345)
        let chunks = try chunk(input, small, writeSize: 100_000)
        XCTAssertTrue(isConcatenation(chunks, of: input), "the chunks put together are the input")
        XCTAssertGreaterThan(chunks.count, 100)
        for (index, chunk) in chunks.enumerated().dropLast() {
            XCTAssertTrue(small.minimum...small.maximum ~= chunk.count, "chunk \(index) has \(chunk.count) bytes")
        }
        XCTAssertGreaterThanOrEqual(chunks.filter { $0.count == small.maximum }.count, 5, "the zeros are cut at the maximum")
        XCTAssertLessThanOrEqual(chunks.last!.count, small.maximum)
    }

    func testAnInputShorterThanTheMinimumIsOneChunkAndAnEmptyOneIsNone() throws {
        let short = randomBytes(seed: 3, count: small.minimum - 1)
        XCTAssertEqual(try chunkLengths(short, small, writeSize: 100), [short.count])
        let exactlyMinimum = randomBytes(seed: 4, count: small.minimum)
        XCTAssertEqual(try chunkLengths(exactlyMinimum, small, writeSize: 1000), [exactlyMinimum.count])
        XCTAssertEqual(try chunkLengths([], small, writeSize: 1), [])

        var calls = 0
        let chunker = ContentChunker(parameters: small) { _ in calls += 1 }
        try chunker.write(UnsafeRawBufferPointer(start: nil, count: 0))
        try [UInt8]().withUnsafeBytes { try chunker.write($0) }
        try chunker.finish()
        XCTAssertEqual(calls, 0)
    }

    func testBoundariesDoNotDependOnHowTheStreamIsSplitIntoWrites() throws {
        let input = randomBytes(seed: 5, count: 1 << 20)
        let whole = try chunkLengths(input, small, writeSize: input.count)
        XCTAssertGreaterThan(whole.count, 50)
        for writeSize in [1, 7, 64 << 10] {
            XCTAssertEqual(try chunkLengths(input, small, writeSize: writeSize), whole, "writes of \(writeSize) bytes")
        }
        var generator = SplitMix64(seed: 6)
        let ragged = try chunkLengths(input, small) { Int(generator.next() % 20000) }
        XCTAssertEqual(ragged, whole, "writes of random sizes, some empty")

        let large = randomBytes(seed: 7, count: 16 << 20)
        let largeWhole = try chunkLengths(large, .standard, writeSize: large.count)
        XCTAssertGreaterThan(largeWhole.count, 8)
        for writeSize in [64 << 10, streamChunkSize, 3_000_017] {
            XCTAssertEqual(try chunkLengths(large, .standard, writeSize: writeSize), largeWhole, "writes of \(writeSize) bytes")
        }
    }

    /// The streaming chunker against a direct transcription of FastCDC 2020's cut (the
    /// `fastcdc` crate's `v2020::cut`, one byte a step) over the whole input at once.
    func testCutsAreThoseOfFastCDCOverTheWholeInput() throws {
        var text = [UInt8]()
        var generator = SplitMix64(seed: 8)
        let words = ["INSERT", "1", "2024-01-01", "\t", "\\N", "foo@example.com", "\n", "42.00", "Zürich"]
        while text.count < 600_000 { text += Array(words[Int(generator.next() % UInt64(words.count))].utf8) }
        for input in [randomBytes(seed: 9, count: 600_000), text] {
            let lengths = try chunkLengths(input, small, writeSize: 4096)
            XCTAssertEqual(lengths, Self.referenceCuts(input, small))
            XCTAssertGreaterThan(lengths.count, 30)
        }
    }

    func testAnErrorFromOnChunkComesOutOfWriteAndFinish() throws {
        struct Refused: Error {}
        let input = randomBytes(seed: 10, count: 200_000)
        var seen = 0
        let refusingSecond = ContentChunker(parameters: small) { _ in
            seen += 1
            if seen == 2 { throw Refused() }
        }
        XCTAssertThrowsError(try input.withUnsafeBytes { try refusingSecond.write($0) }) { XCTAssertTrue($0 is Refused) }
        XCTAssertEqual(seen, 2)

        let refusingAll = ContentChunker(parameters: small) { _ in throw Refused() }
        try input.prefix(100).withUnsafeBytes { try refusingAll.write($0) }
        XCTAssertThrowsError(try refusingAll.finish()) { XCTAssertTrue($0 is Refused) }
    }

    // MARK: - What makes it content-defined

    func testAnInsertionADeletionAndAChangedByteChangeOnlyTheChunksAroundThem() throws {
        let original = randomBytes(seed: 11, count: 32 << 20)
        let before = try chunk(original, .standard, writeSize: streamChunkSize)
        XCTAssertGreaterThan(before.count, 15)
        let middle = original.count / 2
        var inserted = original
        inserted.insert(contentsOf: randomBytes(seed: 12, count: 100), at: middle)
        var deleted = original
        deleted.removeSubrange(middle..<(middle + 100))
        var changed = original
        changed[middle] ^= 0x01
        for (name, edited) in [("insertion", inserted), ("deletion", deleted), ("changed byte", changed)] {
            let after = try chunk(edited, .standard, writeSize: streamChunkSize)
            let (gone, new) = difference(before, after)
            XCTAssertLessThanOrEqual(gone.count, 2, name)
            XCTAssertLessThanOrEqual(new.count, 2, name)
            XCTAssertGreaterThanOrEqual(new.count, 1, "\(name): the chunk holding the edit is new")
            // The chunks that differ are the one holding the edit and perhaps the next.
            let near = (middle - ChunkerParameters.standard.maximum)...(middle + ChunkerParameters.standard.maximum)
            for offset in gone + new { XCTAssertTrue(near ~= offset, "\(name): a chunk differs at \(offset)") }
        }
    }

    func testChunksAverageNearTheAverageOnRandomData() throws {
        let input = randomBytes(seed: 13, count: 16 << 20)
        let chunks = try chunk(input, small, writeSize: streamChunkSize)
        let mean = Double(input.count) / Double(chunks.count)
        XCTAssertEqual(mean, Double(small.average), accuracy: 0.4 * Double(small.average), "\(chunks.count) chunks")
    }

    // MARK: - Fixed forever

    /// Cut offsets of a fixed input: a changed gear table, mask or rule moves them, and with them
    /// every chunk boundary of every snapshot already stored (dedup lost, nothing else). The
    /// values were computed independently, by a Python transcription of the `fastcdc` crate's
    /// two-bytes-a-step v2020 `cut` with this table.
    func testBoundariesOfAFixedInputArePinned() throws {
        XCTAssertEqual(Array(GearTable.values.prefix(3)), [0xc45c_e356_94f6_5a33, 0x2650_8e5c_4350_d471, 0xefc7_13f5_9708_c41e])
        var reference = SplitMix64(seed: 0)
        XCTAssertEqual(reference.next(), 0xe220_a839_7b1d_cdaf, "SplitMix64's published first output for seed 0")

        let standardOffsets = try cutOffsets(randomBytes(seed: 0x5EED, count: 8 << 20), .standard).prefix(5)
        XCTAssertEqual(Array(standardOffsets), [1_412_532, 2_964_962, 4_066_369, 5_359_162, 6_555_658])
        let smallOffsets = try cutOffsets(randomBytes(seed: 0x5EED, count: 1 << 20), small).prefix(8)
        XCTAssertEqual(Array(smallOffsets), [15775, 28659, 37631, 44561, 52732, 61021, 70078, 79849])
    }

    // MARK: - Speed

    func testThroughputIsReported() throws {
        let input = randomBytes(seed: 14, count: 64 << 20)
        var chunks = 0
        let chunker = ContentChunker { _ in chunks += 1 }
        let started = DispatchTime.now()
        try input.withUnsafeBytes { all in
            for start in stride(from: 0, to: all.count, by: streamChunkSize) {
                try chunker.write(UnsafeRawBufferPointer(rebasing: all[start..<min(all.count, start + streamChunkSize)]))
            }
        }
        try chunker.finish()
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - started.uptimeNanoseconds) / 1e9
        print("ContentChunker: 64 MiB of random bytes in \(chunks) chunks, \(Int(Double(input.count) / seconds / 1e6)) MB/s")
        XCTAssertGreaterThan(chunks, 30)
    }

    // MARK: - Helpers

    private func randomBytes(seed: UInt64, count: Int) -> [UInt8] {
        var generator = SplitMix64(seed: seed)
        var bytes = [UInt8](repeating: 0, count: count)
        bytes.withUnsafeMutableBytes { raw in
            var offset = 0
            while offset < count {
                let word = generator.next().littleEndian
                withUnsafeBytes(of: word) { raw.baseAddress!.advanced(by: offset).copyMemory(from: $0.baseAddress!, byteCount: min(8, count - offset)) }
                offset += 8
            }
        }
        return bytes
    }

    private func chunk(_ input: [UInt8], _ parameters: ChunkerParameters, writeSize: Int) throws -> [[UInt8]] {
        try chunk(input, parameters) { writeSize }
    }

    private func chunk(_ input: [UInt8], _ parameters: ChunkerParameters, nextWriteSize: () -> Int) throws -> [[UInt8]] {
        var chunks = [[UInt8]]()
        let chunker = ContentChunker(parameters: parameters) { chunks.append(Array($0)) }
        try input.withUnsafeBytes { all in
            var start = 0
            while start < all.count {
                let end = min(all.count, start + nextWriteSize())
                try chunker.write(UnsafeRawBufferPointer(rebasing: all[start..<end]))
                start = end
            }
        }
        try chunker.finish()
        return chunks
    }

    /// The chunks' lengths, after checking they put together the input (without printing it).
    private func chunkLengths(_ input: [UInt8], _ parameters: ChunkerParameters, writeSize: Int) throws -> [Int] {
        try chunkLengths(input, parameters) { writeSize }
    }

    private func chunkLengths(_ input: [UInt8], _ parameters: ChunkerParameters, nextWriteSize: () -> Int) throws -> [Int] {
        let chunks = try chunk(input, parameters, nextWriteSize: nextWriteSize)
        XCTAssertTrue(isConcatenation(chunks, of: input), "the chunks put together are the input")
        return chunks.map(\.count)
    }

    /// Compares with memcmp: the generic `==` of arrays is too slow for MBs in a debug build.
    private func isConcatenation(_ chunks: [[UInt8]], of input: [UInt8]) -> Bool {
        var offset = 0
        for chunk in chunks {
            guard !chunk.isEmpty, offset + chunk.count <= input.count else { return false }
            let same = input.withUnsafeBytes { all in
                chunk.withUnsafeBytes { memcmp(all.baseAddress! + offset, $0.baseAddress!, chunk.count) == 0 }
            }
            guard same else { return false }
            offset += chunk.count
        }
        return offset == input.count
    }

    private func cutOffsets(_ input: [UInt8], _ parameters: ChunkerParameters) throws -> [Int] {
        var offsets = [Int]()
        var total = 0
        let chunker = ContentChunker(parameters: parameters) { total += $0.count; offsets.append(total) }
        try input.withUnsafeBytes { try chunker.write($0) }
        try chunker.finish()
        return offsets
    }

    /// The offsets of the chunks only `before` has, and of those only `after` has (by SHA-256).
    private func difference(_ before: [[UInt8]], _ after: [[UInt8]]) -> (gone: [Int], new: [Int]) {
        func ids(_ chunks: [[UInt8]]) -> [(offset: Int, id: String)] {
            var offset = 0
            return chunks.map { chunk in
                defer { offset += chunk.count }
                return (offset, SHA256Hex.of(Data(chunk)))
            }
        }
        let old = ids(before), new = ids(after)
        let oldIDs = Set(old.map(\.id)), newIDs = Set(new.map(\.id))
        return (old.filter { !newIDs.contains($0.id) }.map(\.offset), new.filter { !oldIDs.contains($0.id) }.map(\.offset))
    }

    /// FastCDC 2020's cut, one byte a step, over the whole input: the chunk lengths.
    private static func referenceCuts(_ input: [UInt8], _ parameters: ChunkerParameters) -> [Int] {
        var lengths = [Int]()
        var start = 0
        while start < input.count {
            let remaining = min(input.count - start, parameters.maximum)
            var length = remaining
            if remaining > parameters.minimum {
                var hash: UInt64 = 0
                for offset in parameters.minimum..<remaining {
                    hash = (hash &<< 1) &+ GearTable.values[Int(input[start + offset])]
                    let mask = offset < parameters.average ? parameters.strictMask : parameters.looseMask
                    if hash & mask == 0 { length = offset; break }
                }
            }
            lengths.append(length)
            start += length
        }
        return lengths
    }
}
