import DatasetKit
import Foundation
import ObjectStore
import XCTest

/// Items 7 and 9 through an s3:// store (moto): a damaged object is seen by its HEAD size.
final class S3IntegrityTests: XCTestCase {
    private var harness: Harness!

    override func setUpWithError() throws {
        harness = try Harness()
        // Objects damaged, removed and counted one by one (PackTests does it to packs).
        harness.environment = Harness.unpacked
    }
    override func tearDown() { harness?.tearDown() }

    func testADamagedObjectIsRefusedByRestoreAndStoredAnewByUpload() throws {
        let bucket = try TestBucket(prefix: "p", cache: harness.root + "/cache")
        let environment = bucket.environment, store = bucket.store
        try Fixture.create(in: harness)
        harness.dpm("profile", "create", "ug", "--kind", "shared")
        let uploaded = harness.dpm("upload", "ug", environment: environment)
        XCTAssertEqual(uploaded.status, 0, uploaded.stderr)
        let snapshot = try JSONDecoder().decode(Snapshot.self, from: XCTUnwrap(harness.read("profiles/ug/manifest.json")))
        let orders = try XCTUnwrap(snapshot.data.first { $0.table == "public.orders" })
        try store.put(StoreLayout.objectKey(orders.sha256), from: DataReader(Data("cut short".utf8)))

        let target = harness.prefix + "_copy"
        let refused = harness.dpm("restore", "ug", "--into", target, environment: environment)
        XCTAssertNotEqual(refused.status, 0)
        XCTAssertTrue(refused.stderr.contains("object \(orders.sha256) (\(orders.path), data of public.orders) has 9 bytes where the snapshot recorded \(orders.storedSize)"), refused.stderr)
        XCTAssertFalse(try harness.databaseExists(target))

        let again = harness.dpm("upload", "ug", environment: environment)
        XCTAssertEqual(again.status, 0, again.stderr)
        XCTAssertTrue(again.stderr.contains("object \(orders.sha256) was damaged (9 bytes"), again.stderr)
        XCTAssertEqual(try store.storedSize(StoreLayout.objectKey(orders.sha256)), orders.storedSize)
        let restored = harness.dpm("restore", "ug", "--into", target, environment: environment)
        XCTAssertEqual(restored.status, 0, restored.stderr)
        XCTAssertEqual(try harness.contentDigest(of: target), try harness.contentDigest())
    }
}
