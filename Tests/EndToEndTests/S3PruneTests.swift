import DatasetKit
import Foundation
import ObjectStore
import XCTest

/// dpm prune against moto: records and tags leave the bucket (objects stay), and the
/// download cache forgets the removed records, so nothing restores one of them from there.
final class S3PruneTests: XCTestCase {
    private var harness: Harness!
    private var cache: String!

    override func setUpWithError() throws {
        harness = try Harness()
        cache = NSTemporaryDirectory() + "dpm-prune-cache-\(UUID().uuidString)"
    }

    override func tearDown() {
        harness?.tearDown()
        if let cache { try? FileManager.default.removeItem(atPath: cache) }
    }

    func testPruneThroughS3RemovesRecordsAndTagsAndTheCachedCopies() throws {
        let bucket = try TestBucket(prefix: "team/app", cache: cache)
        let environment = bucket.environment
        try Fixture.create(in: harness)
        XCTAssertEqual(harness.dpm("profile", "create", "ug", "--kind", "shared").status, 0)
        let upload = harness.dpm(["upload", "ug", "--no-media"], environment: environment)
        XCTAssertEqual(upload.status, 0, upload.stderr)
        let pinned = try VerifyTests.manifest("ug", in: harness)
        let crafted = try [90.0, 60, 30].map { try PruneTests.craft(pinned, daysAgo: $0, message: "\($0) days", in: bucket.store) }
        for (id, name) in [(crafted[0].id, "kept"), (crafted[1].id, "gone")] {
            XCTAssertEqual(harness.dpm(["tag", "ug", id, name], environment: environment).status, 0)
        }
        // Retagging the one to keep, and read once so that every record is in the download cache.
        let run = harness.dpm(["tag", "ug", crafted[0].id, "gone-too"], environment: environment)
        XCTAssertEqual(run.status, 0, run.stderr)
        XCTAssertEqual(try PruneTests.log("ug", in: harness, environment: environment).snapshots.count, 4)
        let objects = try bucket.store.list(prefix: "objects/")

        let (report, _) = try PruneTests.prune(["--keep-last", "1", "--keep-within", "45d"], in: harness, environment: environment)
        XCTAssertTrue(report.store.hasPrefix("s3://"), report.store)
        XCTAssertEqual(report.profiles.first?.snapshots.filter { !$0.kept }.map(\.id), [crafted[1].id, crafted[0].id])
        XCTAssertEqual(report.profiles.first?.removedTags, ["gone", "gone-too", "kept"])
        XCTAssertEqual(try bucket.store.list(prefix: "snapshots/").sorted(),
                       [pinned.id, crafted[2].id].map { StoreLayout.snapshotKey(profile: "ug", id: $0) }.sorted())
        XCTAssertEqual(try bucket.store.list(prefix: "tags/"), [])
        XCTAssertEqual(try bucket.store.list(prefix: "objects/"), objects, "objects are gc's")
        XCTAssertEqual(Set(try PruneTests.log("ug", in: harness, environment: environment).snapshots.map(\.id)), [pinned.id, crafted[2].id])
        try harness.assertRefused(["pin", "ug", crafted[0].id], environment: environment,
                                  says: "has no snapshot \(crafted[0].id) of profile ug")
        let pin = harness.dpm(["pin", "ug", crafted[2].id], environment: environment)
        XCTAssertEqual(pin.status, 0, pin.stderr)
    }
}
