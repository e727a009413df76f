import DatasetKit
import Foundation
import ObjectStore
import XCTest

final class LocalDirectoryStoreTests: StoreContractTests {
    private var roots: [String] = []

    override func makeStore() throws -> ObjectStore? {
        let root = NSTemporaryDirectory() + "dpm-store-\(UUID().uuidString)"
        roots.append(root)
        return try LocalDirectoryStore(root: root)
    }

    override func tearDown() {
        roots.forEach { try? FileManager.default.removeItem(atPath: $0) }
    }

    func testInterruptedWriteLeavesNoTemporaryFileBehind() throws {
        let store = try XCTUnwrap(try makeStore() as? LocalDirectoryStore)
        XCTAssertThrowsError(try store.put("objects/bb/partial", from: FailingReader(failAfter: 10)))
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: "\(store.root)/.tmp"), [])
    }

    func testUnusableFolderIsOneSentence() throws {
        let file = NSTemporaryDirectory() + "dpm-file-\(UUID().uuidString)"
        _ = FileManager.default.createFile(atPath: file, contents: Data())
        defer { try? FileManager.default.removeItem(atPath: file) }
        XCTAssertThrowsError(try LocalDirectoryStore(root: "\(file)/store")) {
            XCTAssertEqual($0.userMessage, "Cannot create the store folder \(file)/store: Not a directory.")
        }
    }

    func testStoreURLs() throws {
        let base = NSTemporaryDirectory() + "dpm-url-\(UUID().uuidString)"
        roots.append(base)
        XCTAssertEqual((try StoreFactory.make(url: "file:rel/store", projectRoot: base) as? LocalDirectoryStore)?.root, "\(base)/rel/store")
        XCTAssertEqual((try StoreFactory.make(url: "file://\(base)/abs", projectRoot: "/nowhere") as? LocalDirectoryStore)?.root, "\(base)/abs")
        XCTAssertThrowsError(try StoreFactory.make(url: "ftp://x", projectRoot: base)) { XCTAssertTrue($0.userMessage.contains("not understood")) }
        XCTAssertThrowsError(try StoreFactory.make(url: "file://relative", projectRoot: base)) { XCTAssertTrue($0.userMessage.contains("absolute path")) }
    }
}
