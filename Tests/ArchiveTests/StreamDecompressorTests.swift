import Archive
import DatasetKit
import Foundation
import XCTest

/// gzip and zstd files made elsewhere (a `.sql.gz` or `.dump.zst` dump), read as streams.
final class StreamDecompressorTests: XCTestCase {
    private let decompressor = StreamDecompressor()
    /// "hello dump\n" three times, as gzip writes it (mtime 0).
    private let gzip: [UInt8] = [31, 139, 8, 0, 0, 0, 0, 0, 2, 3, 203, 72, 205, 201, 201, 87, 72, 41, 205, 45, 224, 202, 192, 202, 4, 0,
                                 182, 172, 141, 117, 33, 0, 0, 0]
    private let text = Data(String(repeating: "hello dump\n", count: 3).utf8)

    private func gunzip(_ bytes: [UInt8]) throws -> Data {
        try decompressor.decompressing(DataReader(Data(bytes)), from: .gzip).readAll()
    }

    func testGzipOneAndSeveralMembers() throws {
        XCTAssertEqual(try gunzip(gzip), text)
        XCTAssertEqual(try gunzip(gzip + gzip), text + text, "cat a.gz b.gz is one stream")
    }

    func testADamagedGzipFailsOnItsChecksumOrItsEnd() {
        var wrongCRC = gzip
        wrongCRC[26] ^= 0xFF
        XCTAssertThrowsError(try gunzip(wrongCRC)) { error in
            XCTAssertEqual((error as? DPMError)?.kind, .corrupt)
            XCTAssertTrue("\(error)".hasPrefix("its gzip stream is damaged ("), "\(error)")
        }
        XCTAssertThrowsError(try gunzip(Array(gzip.prefix(20)))) { error in
            XCTAssertEqual("\(error)", "its gzip stream is damaged (it ends before its last member does)")
        }
    }

    func testZstdFromAnotherProgram() throws {
        let compressed = try ZstdCodec().compressing(DataReader(text)).readAll()
        XCTAssertEqual(try decompressor.decompressing(DataReader(compressed), from: .zstd).readAll(), text)
    }
}
