import DatasetKit
import Foundation
import ObjectStore
import TestSupport
import XCTest

/// `dpm upload` of an object in parts against moto_server, through the fault server in proxy
/// mode, which spoils the answers to CompleteMultipartUpload the ways S3 can. (Since data and
/// media are chunks of at most 4 MiB, only a schema or chunk list above the part size goes up
/// in parts; the test makes a big schema.)
final class S3CompleteRetryTests: XCTestCase {
    private var harness: Harness!
    private var proxy: FaultServer?

    override func setUpWithError() throws { harness = try Harness() }
    override func tearDown() {
        proxy?.stop()
        harness?.tearDown()
    }

    func testCompleteAnsweringAnErrorUnder200ThenA503ThenLostIsRetriedAndTheUploadSucceeds() throws {
        let bucket = try TestBucket(prefix: "team/app", cache: harness.root + "/cache")
        let endpoint = bucket.endpoint, direct = bucket.environment
        let proxy = try FaultServer(upstream: endpoint, rules: [
            ["match": ["method": "POST", "query": "uploadId"], "status": 200,
             "body": "<Error><Code>InternalError</Code><Message>We encountered an internal error. Please try again.</Message></Error>"],
            ["match": ["method": "POST", "query": "uploadId"], "status": 503, "body": "<Error><Code>SlowDown</Code></Error>"],
            // The store completes the upload, but its answer never arrives; the retry then meets
            // NoSuchUpload, as from S3 (moto would complete the same upload twice), and the object
            // is checked against the store itself.
            ["match": ["method": "POST", "query": "uploadId"], "forward_then_drop": true],
            ["match": ["method": "POST", "query": "uploadId"], "status": 404,
             "body": "<Error><Code>NoSuchUpload</Code><Message>The specified upload does not exist.</Message></Error>"],
        ])
        self.proxy = proxy

        try Fixture.create(in: harness)
        try Fixture.createMedia(in: harness)
        // Data and media files are chunks of at most 4 MiB, so the object that goes up in two
        // parts of at least 5 MiB is the schema: a comment of 9.6 MB of random base64 text
        // compresses to about 7 MB.
        try harness.psql("""
            DO $$ BEGIN EXECUTE 'COMMENT ON TABLE accounts IS ' ||
              quote_literal((SELECT string_agg(encode(gen_random_bytes(1024), 'base64'), '') FROM generate_series(1, 7000)));
            END $$
            """)
        let digest = try harness.contentDigest()
        let comment = try harness.psql("SELECT md5(obj_description('accounts'::regclass))")
        let media = Fixture.mediaFingerprint(harness.media)
        harness.dpm("profile", "create", "ug", "--kind", "shared")

        let throughProxy = direct.merging(["AWS_ENDPOINT_URL_S3": "http://127.0.0.1:\(proxy.port)", "DPM_S3_PART_SIZE_MB": "5",
                                           "DPM_S3_RETRY_BASE_SECONDS": "0.05", "DPM_VERBOSE": "1"]) { $1 }
        let upload = harness.dpm("upload", "ug", environment: throughProxy)
        let log = try proxy.requests()
        XCTAssertEqual(upload.status, 0, "\(upload.stderr) \(log)")
        let completes = try proxy.requests().filter { $0["method"] as? String == "POST" && ($0["path"] as? String ?? "").contains("uploadId=") }
        XCTAssertEqual(completes.count, 4, "three spoiled answers, then the retry that meets NoSuchUpload: \(completes)")
        XCTAssertEqual(completes.dropFirst(2).first?["upstream_status"] as? Int, 200, "the store completed the upload whose answer was lost")
        let object = String((completes.first?["path"] as? String ?? "").prefix { $0 != "?" })
        let checked = log.filter { $0["method"] as? String == "HEAD" && $0["path"] as? String == object }.last
        XCTAssertEqual(checked?["upstream_status"] as? Int, 200, "the object was looked up in the store")
        XCTAssertTrue(upload.stderr.contains("was completed by an earlier attempt whose answer was lost"), upload.stderr)

        // The object the lost attempt made is whole: the restore's check reads the schema
        // straight from the store in full, and the database and media come back as they were.
        try FileManager.default.removeItem(atPath: harness.media)
        let restore = harness.dpm("restore", "ug", "--force", environment: direct.merging(["XDG_CACHE_HOME": harness.root + "/cache2"]) { $1 })
        XCTAssertEqual(restore.status, 0, restore.stderr)
        XCTAssertEqual(Fixture.mediaFingerprint(harness.media), media)
        XCTAssertEqual(try harness.contentDigest(), digest)
        XCTAssertEqual(try harness.psql("SELECT md5(obj_description('accounts'::regclass))"), comment)
    }
}
