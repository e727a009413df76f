import DatasetKit
import Foundation
import ObjectStore
import XCTest

/// dpm verify against moto: the bucket's own bytes are read (not the download cache's copies),
/// the marks live in the bucket, and an upload heals them.
final class S3VerifyTests: XCTestCase {
    private var harness: Harness!

    override func setUpWithError() throws {
        harness = try Harness()
        // Objects damaged, removed and counted one by one (PackTests does it to packs).
        harness.environment = Harness.unpacked
    }
    override func tearDown() { harness?.tearDown() }

    func testAFlippedByteInTheBucketIsFoundWhateverTheCacheHoldsAndHealed() throws {
        let bucket = try TestBucket(prefix: "team/app", cache: harness.root + "/cache")
        try Fixture.create(in: harness)
        try VerifyTests.flippedByteIsFoundMarkedAndHealed(in: harness, store: bucket.store, environment: bucket.environment, warmCache: true)
        XCTAssertEqual(try bucket.store.list(prefix: "damaged/"), [])
    }

    func testMissingAndTruncatedObjectsInTheBucket() throws {
        let bucket = try TestBucket(prefix: "p", cache: harness.root + "/cache")
        let environment = bucket.environment, store = bucket.store
        try Fixture.create(in: harness)
        let shared = try VerifyTests.uploadShared(in: harness, environment: environment, media: false)
        let accounts = try XCTUnwrap(shared.ug.data.first { $0.table == "public.accounts" })
        let orders = try XCTUnwrap(shared.ug.data.first { $0.table == "public.orders" })
        try store.delete(StoreLayout.objectKey(accounts.sha256))
        try store.put(StoreLayout.objectKey(orders.sha256), from: DataReader(Data("cut short".utf8)))

        let report = try VerifyTests.verify([], in: harness, environment: environment, status: 2)
        XCTAssertTrue(report.store.hasPrefix("s3://"), report.store)
        XCTAssertEqual(report.problems.map(\.object), [accounts.sha256, orders.sha256].sorted())
        XCTAssertEqual(report.problems.first { $0.object == accounts.sha256 }?.problem, .missing)
        XCTAssertEqual(report.problems.first { $0.object == orders.sha256 }?.problem, .wrongSize)
        XCTAssertEqual(report.problems.first { $0.object == orders.sha256 }?.storedSize, 9)
        XCTAssertEqual(Set(try DamageMarks.list(in: store)), [accounts.sha256, orders.sha256])

        let upload = harness.dpm(["upload", "qa"], environment: environment)
        XCTAssertEqual(upload.status, 0, upload.stderr)
        XCTAssertEqual(try DamageMarks.list(in: store), [])
        let healed = try VerifyTests.verify(["--read-data"], in: harness, environment: environment, status: 0)
        XCTAssertEqual(healed.objectsRead, healed.objectsChecked)
    }
}
