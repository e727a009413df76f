import DatasetKit
import Foundation
import ObjectStore
import XCTest

/// dpm with an s3:// store against moto_server (DPM_TEST_S3_ENDPOINT from shell/test.sh).
final class S3EndToEndTests: XCTestCase {
    private var harness: Harness!

    override func setUpWithError() throws { harness = try Harness() }
    override func tearDown() { harness?.tearDown() }

    func testUploadRestoreAndUseThroughS3WithTheDownloadCache() throws {
        let cache = harness.root + "/cache"
        let bucket = try TestBucket(prefix: "team/app", cache: cache)
        let environment = bucket.environment
        try Fixture.create(in: harness)
        try Fixture.createMedia(in: harness)
        let digest = try harness.contentDigest()
        let media = Fixture.mediaFingerprint(harness.media)
        harness.dpm("profile", "create", "ug", "--kind", "shared")

        let upload = harness.dpm("upload", "ug", environment: environment)
        XCTAssertEqual(upload.status, 0, upload.stderr)
        let manifest = try CanonicalJSON.decode(Snapshot.self, from: XCTUnwrap(harness.read("profiles/ug/manifest.json")), what: "m")
        XCTAssertEqual(harness.dpm("status", environment: environment).stdout.contains("\(bucket.url) (1 snapshots)"), true)

        try harness.psql("DROP DATABASE \"\(harness.database)\"", in: "postgres")
        try FileManager.default.removeItem(atPath: harness.media)
        let restore = harness.dpm("restore", "ug", environment: environment)
        XCTAssertEqual(restore.status, 0, restore.stderr)
        XCTAssertEqual(try harness.contentDigest(), digest)
        XCTAssertEqual(Fixture.mediaFingerprint(harness.media), media)
        let cached = FileManager.default.enumerator(atPath: "\(cache)/dpm/objects")?.allObjects.compactMap { $0 as? String }
            .filter { SHA256Hex.isValid(($0 as NSString).lastPathComponent) } ?? []
        let downloaded = [manifest.schema.sha256] + manifest.data.map(\.sha256) + [manifest.media!.index.sha256] + Self.mediaHashes(harness)
        XCTAssertEqual(Set(cached.map { ($0 as NSString).lastPathComponent }), Set(downloaded),
                       "every verified download is in the cache (the schema.sql object too: restore verifies it)")

        // use: with an empty download cache the template comes from S3; local work is stashed.
        try harness.psql("INSERT INTO audit_log (entry) VALUES ('local work')")
        let freshCache = harness.root + "/cache-for-use"
        let used = harness.dpm("use", "ug", environment: environment.merging(["XDG_CACHE_HOME": freshCache]) { $1 })
        XCTAssertEqual(used.status, 0, used.stderr)
        XCTAssertEqual(try harness.contentDigest(), digest)
        XCTAssertEqual(Fixture.mediaFingerprint(harness.media), media)
        XCTAssertFalse((FileManager.default.enumerator(atPath: "\(freshCache)/dpm/objects")?.allObjects ?? []).isEmpty,
                       "use downloaded the objects from S3")

        let again = harness.dpm("restore", "ug", "--force", "--snapshot", manifest.id, "--into", harness.prefix + "_again",
                                environment: environment.merging(["AWS_ENDPOINT_URL_S3": "http://127.0.0.1:1"]) { $1 })
        XCTAssertEqual(again.status, 0, "the objects and the record come from the cache: \(again.stderr)")
        XCTAssertEqual(try harness.contentDigest(of: harness.prefix + "_again"), digest)
    }

    private static func mediaHashes(_ harness: Harness) -> [String] {
        Fixture.mediaFingerprint(harness.media).values.map { String($0.prefix(64)) }
    }
}
