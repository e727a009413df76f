import DatasetKit
import Foundation
import XCTest

final class FileWriterTests: XCTestCase {
    private var folder: String!

    override func setUpWithError() throws {
        folder = NSTemporaryDirectory() + "dpm-filewriter-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(atPath: folder)
    }

    private func write(_ content: Data, reserving size: Int64, durable: Bool) throws -> Data {
        let path = "\(folder!)/file"
        let writer = try FileWriter(path: path, exclusive: true, durable: durable)
        writer.preallocate(size)
        try content.withUnsafeBytes { try writer.write($0) }
        try writer.finish()
        return try Data(contentsOf: URL(fileURLWithPath: path))
    }

    func testReservedFileEndsWithTheLastByteWritten() throws {
        let content = Data((0..<3000).map { UInt8($0 % 251) })
        XCTAssertEqual(try write(content, reserving: 3000, durable: true), content)
    }

    /// A reservation larger than the content (a size record that was wrong) must not leave
    /// zeros at the end of the file.
    func testOversizedReservationIsCutBackOnFinish() throws {
        let content = Data("twelve bytes".utf8)
        XCTAssertEqual(try write(content, reserving: 1 << 20, durable: false), content)
    }

    func testContentLongerThanTheReservationIsKept() throws {
        let content = Data(repeating: 7, count: 10_000)
        XCTAssertEqual(try write(content, reserving: 100, durable: false), content)
    }
}
