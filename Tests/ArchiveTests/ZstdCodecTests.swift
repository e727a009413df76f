import Archive
import DatasetKit
import Foundation
import XCTest

final class ZstdCodecTests: XCTestCase {
    private let codec = ZstdCodec()

    private func roundTrip(_ data: Data) throws -> (compressed: Data, restored: Data) {
        let compressed = try codec.compressing(DataReader(data)).readAll()
        let restored = try codec.decompressing(DataReader(compressed)).readAll()
        return (compressed, restored)
    }

    func testRoundTripsEmptySmallAndMultiChunkContent() throws {
        var text = Data()
        while text.count < 5 * streamChunkSize { text.append(contentsOf: "row \(text.count)\tsome words here\n".utf8) }
        for sample in [Data(), Data("x".utf8), text] {
            let (compressed, restored) = try roundTrip(sample)
            XCTAssertEqual(restored, sample)
            XCTAssertEqual(compressed.prefix(4), Data([0x28, 0xB5, 0x2F, 0xFD]), "zstd magic number")
        }
        XCTAssertLessThan(try roundTrip(text).compressed.count, text.count / 4)
    }

    func testIncompressibleContentRoundTrips() throws {
        let random = Data((0..<(2 * streamChunkSize + 17)).map { _ in UInt8.random(in: 0...255) })
        XCTAssertEqual(try roundTrip(random).restored, random)
    }

    func testNonZstdInputIsRefused() {
        XCTAssertThrowsError(try codec.decompressing(DataReader(Data("plain text, not compressed".utf8))).readAll()) {
            XCTAssertTrue($0.userMessage.contains("not a zstd stream"), $0.userMessage)
        }
    }

    func testTruncatedOrDamagedStreamFails() throws {
        var text = Data()
        while text.count < streamChunkSize { text.append(contentsOf: "line \(text.count) of text\n".utf8) }
        let compressed = try codec.compressing(DataReader(text)).readAll()
        let truncated = compressed.prefix(compressed.count / 2)
        XCTAssertThrowsError(try codec.decompressing(DataReader(truncated)).readAll())
        var damaged = compressed
        damaged[damaged.count / 2] ^= 0xFF
        let result = Result { try codec.decompressing(DataReader(damaged)).readAll() }
        if case .success(let output) = result { XCTAssertNotEqual(output, text) }
    }

    /// Content that is itself a zstd stream (a patch, a `.zst` media file) comes back as it
    /// went in, not decompressed a second time; frames in a row are one stream.
    func testContentThatIsZstdComesBackAsItIs() throws {
        var text = Data()
        while text.count < 3 * streamChunkSize { text.append(contentsOf: "row \(text.count)\tsome words here\n".utf8) }
        let inner = try codec.compressing(DataReader(text)).readAll()
        XCTAssertEqual(try roundTrip(inner).restored, inner)
        let two = try codec.compressing(DataReader(Data("first ".utf8))).readAll() + codec.compressing(DataReader(Data("second".utf8))).readAll()
        XCTAssertEqual(try codec.decompressing(DataReader(two)).readAll(), Data("first second".utf8))
        XCTAssertThrowsError(try codec.decompressing(DataReader(inner + Data("trailing".utf8))).readAll()) {
            XCTAssertTrue($0.userMessage.contains("zstd stream is damaged"), $0.userMessage)
        }
    }

    /// A patch of content that shares most of its bytes with its base (rows dropped and edited
    /// here and there, as a refreshed table chunk) is a small fraction of the compressed content,
    /// even for a 4 MiB chunk whose copies lie 4 MiB back; applied to another base it fails.
    func testAPatchIsSmallAndAppliesOnlyToItsBase() throws {
        var generator = SystemRandomNumberGenerator()
        var base = Data()
        var lines: [Data] = []
        while base.count < 4 << 20 {
            let line = Data((0..<200).map { _ in UInt8.random(in: 97...122, using: &generator) } + [10])
            lines.append(line)
            base.append(line)
        }
        var content = Data()
        for (number, line) in lines.enumerated() where number % 100 != 5 {
            content.append(number % 100 == 50 ? Data("edited ".utf8) + line : line)
        }
        let patch = try XCTUnwrap(try codec.patch(content, against: base))
        let whole = try codec.compressing(DataReader(content)).readAll()
        XCTAssertLessThan(patch.count * 50, whole.count, "patch \(patch.count) bytes, compressed whole \(whole.count)")
        XCTAssertEqual(try codec.apply(patch, to: base, size: content.count), content)
        var other = base
        other[other.count / 2] ^= 0x20
        XCTAssertThrowsError(try codec.apply(patch, to: base, size: content.count + 1)) {
            XCTAssertEqual(($0 as? DPMError)?.kind, .corrupt)
        }
        let misapplied = Result { try codec.apply(patch, to: other, size: content.count) }
        if case .success(let output) = misapplied { XCTAssertNotEqual(output, content) }
        XCTAssertThrowsError(try codec.apply(Data("not a patch".utf8), to: base, size: 11)) {
            XCTAssertEqual(($0 as? DPMError)?.kind, .corrupt)
        }
    }
}
