@testable import ObjectStore
import XCTest

final class ListBucketResultTests: XCTestCase {
    func testReadsKeysSizesAndTimesOfEachContents() throws {
        let page = try XCTUnwrap(ListBucketResult(Data("""
            <ListBucketResult><IsTruncated>true</IsTruncated><NextContinuationToken>t1</NextContinuationToken>
            <Contents><Key>p/objects/aa/1</Key><LastModified>2026-12-02T20:31:07.250Z</LastModified><Size>12</Size></Contents>
            <Contents><Key>p/objects/aa/2</Key><LastModified>2026-12-02T20:31:08Z</LastModified><Size>0</Size></Contents>
            </ListBucketResult>
            """.utf8)))
        XCTAssertEqual(page.items.map(\.key), ["p/objects/aa/1", "p/objects/aa/2"])
        XCTAssertEqual(page.items.map(\.size), [12, 0])
        XCTAssertEqual(page.items[0].modified.timeIntervalSince1970, 1_796_243_467.25, accuracy: 0.001)
        XCTAssertEqual(page.items[1].modified.timeIntervalSince1970, 1_796_243_468, accuracy: 0.001)
        XCTAssertTrue(page.isTruncated)
        XCTAssertEqual(page.continuationToken, "t1")
    }

    func testAPageWhoseFieldsDoNotLineUpIsRefused() {
        XCTAssertNil(ListBucketResult(Data("""
            <ListBucketResult><Contents><Key>a</Key><Size>1</Size></Contents></ListBucketResult>
            """.utf8)), "a Contents without LastModified")
        XCTAssertNil(ListBucketResult(Data("""
            <ListBucketResult><Contents><Key>a</Key><LastModified>yesterday</LastModified><Size>1</Size></Contents></ListBucketResult>
            """.utf8)), "a time that does not parse")
    }
}
