@testable import DatasetKit
import XCTest

final class ObjectListingTests: XCTestCase {
    func testListsEveryShardAndSkipsKeysOutsideTheLayout() throws {
        let store = MemoryStore()
        let ids = ["00aa", "7fbeef", "ff01"]
        for id in ids { try store.put(StoreLayout.objectKey(id), from: DataReader(Data(id.utf8))) }
        try store.put("objects/ab/cd", from: DataReader(Data("not an id of its shard".utf8)))
        try store.put("snapshots/p/x.json", from: DataReader(Data("{}".utf8)))
        let listed = try ObjectListing.all(in: store, width: 4)
        XCTAssertEqual(listed.keys.sorted(), ids)
        XCTAssertEqual(listed["7fbeef"]?.size, 6)
        XCTAssertEqual(listed["7fbeef"]?.key, "objects/7f/7fbeef")
    }

    func testIDOfAKey() {
        XCTAssertEqual(ObjectListing.id(of: "objects/ab/abcdef"), "abcdef")
        XCTAssertNil(ObjectListing.id(of: "objects/ab/cdef"))
        XCTAssertNil(ObjectListing.id(of: "objects/ab/ab"))
        XCTAssertNil(ObjectListing.id(of: "objects/ab/abc/d"))
        XCTAssertNil(ObjectListing.id(of: "snapshots/ab/abc"))
    }
}
