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
}
