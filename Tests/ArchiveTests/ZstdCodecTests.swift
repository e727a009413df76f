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

    /// pzstd writes a skippable frame before each of its frames: a dump it made reads as one stream.
    func testAStreamStartingWithASkippableFrameIsRead() throws {
        var text = Data()
        while text.count < 3 * streamChunkSize { text.append(contentsOf: "row \(text.count)\tsome words here\n".utf8) }
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("pzstd-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let plain = folder.appendingPathComponent("dump.sql")
        try text.write(to: plain)
        let pzstd = Process()
        pzstd.executableURL = URL(fileURLWithPath: "/usr/bin/pzstd")
        pzstd.arguments = ["-q", "-p", "2", plain.path]
        try pzstd.run()
        pzstd.waitUntilExit()
        XCTAssertEqual(pzstd.terminationStatus, 0)
        let compressed = try Data(contentsOf: folder.appendingPathComponent("dump.sql.zst"))
        XCTAssertEqual(compressed[1...3], Data([0x2A, 0x4D, 0x18]), "a skippable frame first")
        XCTAssertEqual(try codec.decompressing(DataReader(compressed)).readAll(), text)
    }

    /// A patch of content that shares most of its bytes with its base (rows dropped and edited
    /// here and there, as a refreshed table chunk) is a small fraction of the compressed content,
    /// even for a 4 MiB chunk whose copies lie 4 MiB back; applied to another base it fails.
    func testAPatchIsSmallAndAppliesOnlyToItsBase() throws {
        var state: UInt64 = 0x9E3779B97F4A7C15
        var base = Data()
        var lines: [Data] = []
        while base.count < 4 << 20 {
            let line = Data((0..<200).map { _ in
                state = state &* 6364136223846793005 &+ 1442695040888963407
                return UInt8(97 + (state >> 33) % 26)
            } + [10])
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
