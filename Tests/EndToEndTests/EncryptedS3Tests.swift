import DatasetKit
import Foundation
import XCTest

/// An encrypted store in S3 (moto): what the bucket and the download cache hold is sealed, and
/// each recipient restores.
final class EncryptedS3Tests: XCTestCase {
    private typealias F = EncryptedStoreFixture
    private var harness: Harness!

    override func setUpWithError() throws { harness = try Harness() }
    override func tearDown() { harness?.tearDown() }

    func testTheBucketAndTheCacheHoldOnlySealedBytesAndEachRecipientRestores() throws {
        let cache = harness.root + "/cache"
        let bucket = try TestBucket(prefix: "team/secret", cache: cache)
        try F.createSource(in: harness)
        let digest = try harness.contentDigest()
        let media = Fixture.mediaFingerprint(harness.media)
        let alice = try F.person("alice", in: harness), bob = try F.person("bob", keygen: true, in: harness)
        for person in [alice, bob] { XCTAssertEqual(harness.dpm("key", "add", person.recipient).status, 0) }
        harness.dpm("profile", "create", "ug", "--kind", "shared")
        let upload = harness.dpm(["upload", "ug"], environment: bucket.environment.merging(alice.environment) { $1 })
        XCTAssertEqual(upload.status, 0, upload.stderr)

        let marker = Data(F.marker.utf8)
        let keys = try bucket.store.list(prefix: "")
        XCTAssertTrue(keys.contains("dpm-store.json") && keys.contains { $0.hasPrefix("keys/generations/") }, "\(keys)")
        let objects = keys.filter { $0.hasPrefix("objects/") }
        XCTAssertGreaterThanOrEqual(objects.count, 3, "the schema, the media index and a pack at least")
        var stored: [Data] = []
        for key in keys {
            let bytes = try bucket.store.open(key).readAll()
            for form in F.readable(bytes) { XCTAssertNil(form.range(of: marker), "the marker in \(key)") }
            if key.hasPrefix("objects/") {
                XCTAssertEqual(bytes.prefix(6), Data("DPMOBJ".utf8), key)
                stored.append(bytes)
            }
        }

        try harness.psql("DROP DATABASE \"\(harness.database)\"", in: "postgres")
        try FileManager.default.removeItem(atPath: harness.media)
        let restored = harness.dpm(["restore", "ug"], environment: bucket.environment.merging(bob.environment) { $1 })
        XCTAssertEqual(restored.status, 0, restored.stderr)
        XCTAssertEqual(try harness.contentDigest(), digest)
        XCTAssertEqual(Fixture.mediaFingerprint(harness.media), media)
        // The download cache keeps what the bucket holds: sealed objects (the members of packs
        // cut out of them), byte for byte, nothing decrypted.
        let cached = F.files(of: "\(cache)/dpm/objects")
        XCTAssertGreaterThan(cached.count, objects.count, "\(cached.map(\.key))")
        for (key, bytes) in cached {
            XCTAssertTrue(stored.contains { $0.range(of: bytes) != nil }, "the cache's \(key) is bytes of the bucket")
            XCTAssertEqual(bytes.prefix(6), Data("DPMOBJ".utf8), key)
            for form in F.readable(bytes) { XCTAssertNil(form.range(of: marker), "the marker in the cache's \(key)") }
        }

        let eve = try F.person("eve", in: harness)
        try harness.assertRefused(["restore", "ug", "--into", harness.prefix + "_eve"], environment: bucket.environment.merging(eve.environment) { $1 },
                                  says: "Your identity (\(eve.recipient)) cannot open the store \(bucket.url)")
    }
}
