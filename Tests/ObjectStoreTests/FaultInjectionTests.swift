import DatasetKit
import Foundation
@testable import ObjectStore
import TestSupport
import XCTest

/// S3Store against the project's scripted fault server (Tests/Fixtures/fault_server.py):
/// each case asserts the attempts made, the final outcome, and that nothing partial is left.
final class FaultInjectionTests: XCTestCase {
    private var server: FaultServer!
    private var spool: String!
    private let retryLog = Locked([String]())

    override func setUpWithError() throws {
        spool = NSTemporaryDirectory() + "dpm-fault-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: spool, withIntermediateDirectories: true)
    }

    override func tearDown() {
        server?.stop()
        try? FileManager.default.removeItem(atPath: spool)
    }

    private func store(_ script: [[String: Any]], maxAttempts: Int = 3, timeout: Int = 5, partSize: Int64 = 64 << 20,
                       spoolDirectory: String? = nil) throws -> S3Store {
        server = try FaultServer(script: script)
        let configuration = try S3Configuration.resolve(
            url: "s3://bucket/prefix", endpoint: "http://127.0.0.1:\(server.port)",
            aws: AWSSettings(environment: ["AWS_ACCESS_KEY_ID": "AKID", "AWS_SECRET_ACCESS_KEY": "s3cr3t-key"]))
        let log = retryLog
        var transfer = S3TransferSettings(environment: [:])
        transfer.timeoutSeconds = timeout
        transfer.partSize = partSize
        transfer.jobs = 1
        transfer.retry = RetryLimits(maxAttempts: maxAttempts, baseDelay: 0.01, maxDelay: 5, totalBudget: 60)
        return S3Store(configuration: configuration, transfer: transfer, spoolDirectory: spoolDirectory ?? spool,
                       log: { line in log.withValue { $0.append(line) } })
    }

    private var spoolIsEmpty: Bool { (try? FileManager.default.contentsOfDirectory(atPath: spool))?.isEmpty ?? false }

    private static let body = String((0..<100_000).map { Character(UnicodeScalar(97 + $0 % 26)!) })

    func testServerErrorThenSuccessIsRetriedOnce() throws {
        let store = try store([["status": 500, "body": "<Error><Code>InternalError</Code></Error>"], ["status": 200, "body": "abc"]])
        XCTAssertEqual(try store.storedSize("objects/aa/x"), 3)
        XCTAssertEqual(try server.requests().count, 2)
        let retries = retryLog.current.filter { $0.contains("retry") }
        XCTAssertEqual(retries.count, 1)
        XCTAssertTrue(retries[0].contains("HTTP 500"), retries[0])
        XCTAssertTrue(retryLog.current[0].hasPrefix("S3 HEAD /bucket/prefix/objects/aa/x -> 500 in "), retryLog.current[0])
    }

    func testRetryAfterIsHonored() throws {
        let store = try store([["status": 503, "headers": ["Retry-After": "1"]], ["status": 200, "body": "xyz"]])
        let started = Date()
        XCTAssertEqual(try store.open("objects/aa/x").readAll(), Data("xyz".utf8))
        XCTAssertGreaterThanOrEqual(Date().timeIntervalSince(started), 1.0, "waited as Retry-After asked")
        XCTAssertEqual(try server.requests().count, 2)
    }

    func testDroppedConnectionResumesWithRange() throws {
        let store = try store([["status": 200, "body": Self.body, "send_bytes": 40_000],
                               ["range_from_request": true, "body": Self.body]])
        XCTAssertEqual(try store.open("objects/aa/x").readAll(), Data(Self.body.utf8))
        let requests = try server.requests()
        XCTAssertEqual(requests.map { $0["range"] as? String }, [nil, "bytes=40000-"])
        XCTAssertTrue(spoolIsEmpty)
    }

    func testServerThatIgnoresRangeStillGivesTheRightBytes() throws {
        let store = try store([["status": 200, "body": Self.body, "send_bytes": 30_000], ["status": 200, "body": Self.body]])
        XCTAssertEqual(try store.open("objects/aa/x").readAll(), Data(Self.body.utf8))
    }

    func testTruncatedAnswersEveryTimeFailWithNothingLeft() throws {
        let store = try store(Array(repeating: ["status": 200, "body": Self.body, "send_bytes": 10], count: 3))
        XCTAssertThrowsError(try store.open("objects/aa/x")) {
            XCTAssertTrue($0.userMessage.contains("(after 3 attempts)"), $0.userMessage)
            XCTAssertEqual(($0 as? DPMError)?.kind, .unreachable)
            XCTAssertFalse($0.userMessage.contains("s3cr3t"))
        }
        XCTAssertEqual(try server.requests().count, 3)
        XCTAssertTrue(spoolIsEmpty)
    }

    func testClientErrorsAreNotRetried() throws {
        let store = try store([["status": 403, "body": "<Error><Code>AccessDenied</Code><Message>no</Message></Error>"]])
        XCTAssertThrowsError(try store.storedSize("objects/aa/x")) {
            XCTAssertTrue($0.userMessage.hasPrefix("S3 denied access to s3://bucket/prefix/"), $0.userMessage)
            XCTAssertEqual(($0 as? DPMError)?.kind, .permissionDenied)
        }
        XCTAssertEqual(try server.requests().count, 1)
        XCTAssertEqual(retryLog.current.filter { $0.contains("retry") }, [])
    }

    func testSlowAnswerPastTheTimeoutIsRetriedThenFails() throws {
        let store = try store([["delay": 3, "body": "late"], ["delay": 3, "body": "late"]], maxAttempts: 2, timeout: 1)
        XCTAssertThrowsError(try store.open("objects/aa/x")) {
            XCTAssertTrue($0.userMessage.contains("Timeout"), $0.userMessage)
            XCTAssertEqual(($0 as? DPMError)?.kind, .unreachable)
        }
        XCTAssertEqual(try server.requests().count, 2)
        XCTAssertTrue(spoolIsEmpty)
    }

    func testRequestsReuseTheirConnectionUntilItBreaks() throws {
        let store = try store([["body": "a"], ["body": "bb"], ["status": 200, "body": Self.body, "send_bytes": 10],
                               ["range_from_request": true, "body": Self.body], ["body": "c"]])
        XCTAssertEqual(try store.storedSize("objects/aa/1"), 1)
        XCTAssertEqual(try store.storedSize("objects/aa/2"), 2)
        XCTAssertEqual(try store.open("objects/aa/3").readAll(), Data(Self.body.utf8))
        XCTAssertEqual(try store.storedSize("objects/aa/4"), 1)
        let connections = try server.requests().map { $0["connection"] as? Int }
        XCTAssertEqual(connections.count, 5)
        XCTAssertEqual(Set(connections[0...2]).count, 1, "one connection until the server dropped it: \(connections)")
        XCTAssertNotEqual(connections[3], connections[2], "a dropped connection is not used again")
        XCTAssertEqual(connections[4], connections[3])
    }

    func testBucketInAnotherRegionNamesTheRegionToSet() throws {
        let store = try store([["status": 301, "headers": ["x-amz-bucket-region": "eu-central-1"]],
                               ["status": 400, "body": "<Error><Code>AuthorizationHeaderMalformed</Code><Region>ap-south-1</Region></Error>"]])
        XCTAssertThrowsError(try store.storedSize("objects/aa/x")) {
            XCTAssertEqual($0.userMessage, "The bucket bucket is not in region us-east-1 but in eu-central-1; set AWS_REGION=eu-central-1.")
        }
        XCTAssertThrowsError(try store.list(prefix: "objects/")) {
            XCTAssertEqual($0.userMessage, "The bucket bucket is not in region us-east-1 but in ap-south-1; set AWS_REGION=ap-south-1.")
        }
        XCTAssertEqual(try server.requests().count, 2, "a wrong region is not retried")
    }

    private static var started: [String: Any] { ["body": "<InitiateMultipartUploadResult><UploadId>U-1</UploadId></InitiateMultipartUploadResult>"] }
    private static var partStored: [String: Any] { ["headers": ["ETag": "\"e\""]] }
    private static let sixMiB = Data(repeating: 7, count: 6 << 20)

    private static func completed(_ status: Int = 200) -> [String: Any] {
        ["status": status, "body": "<CompleteMultipartUploadResult><ETag>\"x-2\"</ETag></CompleteMultipartUploadResult>"]
    }
    private static var internalErrorIn200: [String: Any] {
        ["status": 200, "body": "<Error><Code>InternalError</Code><Message>We encountered an internal error. Please try again.</Message></Error>"]
    }
    private static var noSuchUpload: [String: Any] {
        ["status": 404, "body": "<Error><Code>NoSuchUpload</Code><Message>The specified upload does not exist.</Message></Error>"]
    }

    /// The composite CRC-32 S3 reports for sixMiB sent in parts of the minimum size.
    private static var sixMiBChecksum: String {
        let parts = [Self.sixMiB.prefix(Int(S3Store.minimumPartSize)), Self.sixMiB.dropFirst(Int(S3Store.minimumPartSize))].map { part in
            let crc = CRC32Writer()
            Data(part).withUnsafeBytes { try? crc.write($0) }
            return crc.base64
        }
        return MultipartChecksums.compositeCRC32(parts)!
    }

    func testCompleteAnswering200WithAnErrorIsRetried() throws {
        let store = try store([Self.started, Self.partStored, Self.partStored, Self.internalErrorIn200, Self.completed()],
                              partSize: S3Store.minimumPartSize)
        XCTAssertEqual(try store.put("objects/aa/big", from: DataReader(Self.sixMiB)).size, Int64(Self.sixMiB.count))
        XCTAssertEqual(try server.requests().map { $0["method"] as? String }, ["POST", "PUT", "PUT", "POST", "POST"])
        let retries = retryLog.current.filter { $0.contains("retry") }
        XCTAssertEqual(retries.count, 1)
        XCTAssertTrue(retries[0].contains("HTTP 200 with InternalError"), retries[0])
        XCTAssertTrue(spoolIsEmpty)
    }

    func testCompleteAnswering200WithoutADocumentIsRetried() throws {
        let store = try store([Self.started, Self.partStored, Self.partStored, ["status": 200, "body": "   "], Self.completed()],
                              partSize: S3Store.minimumPartSize)
        XCTAssertEqual(try store.put("objects/aa/big", from: DataReader(Self.sixMiB)).size, Int64(Self.sixMiB.count))
        XCTAssertEqual(try server.requests().map { $0["method"] as? String }, ["POST", "PUT", "PUT", "POST", "POST"])
    }

    func testCompleteAnswering500Or503OnceIsRetried() throws {
        for status in [500, 503] {
            let store = try store([Self.started, Self.partStored, Self.partStored,
                                   ["status": status, "body": "<Error><Code>\(status == 500 ? "InternalError" : "SlowDown")</Code></Error>"],
                                   Self.completed()], partSize: S3Store.minimumPartSize)
            XCTAssertEqual(try store.put("objects/aa/big", from: DataReader(Self.sixMiB)).size, Int64(Self.sixMiB.count))
            XCTAssertEqual(try server.requests().map { $0["method"] as? String }, ["POST", "PUT", "PUT", "POST", "POST"], "HTTP \(status)")
            server.stop()
        }
    }

    func testCompleteAnswering200WithAnErrorEveryTimeAbortsTheUpload() throws {
        let store = try store([Self.started, Self.partStored, Self.partStored] + Array(repeating: Self.internalErrorIn200, count: 3)
                              + [["status": 204]], partSize: S3Store.minimumPartSize)
        XCTAssertThrowsError(try store.put("objects/aa/big", from: DataReader(Self.sixMiB))) {
            XCTAssertEqual($0.userMessage, "S3 could not complete the multipart upload of prefix/objects/aa/big in s3://bucket/prefix/: InternalError.")
        }
        let requests = try server.requests()
        XCTAssertEqual(requests.map { $0["method"] as? String }, ["POST", "PUT", "PUT", "POST", "POST", "POST", "DELETE"])
        XCTAssertEqual(requests.last?["path"] as? String, "/bucket/prefix/objects/aa/big?uploadId=U-1", "the upload is aborted")
        XCTAssertTrue(spoolIsEmpty)
    }

    func testCompleteWhoseAnswerWasLostAcceptsTheObjectItMade() throws {
        let store = try store([Self.started, Self.partStored, Self.partStored, ["drop": true], Self.noSuchUpload,
                               ["content_length": Self.sixMiB.count, "headers": ["x-amz-checksum-crc32": Self.sixMiBChecksum]]],
                              partSize: S3Store.minimumPartSize)
        XCTAssertEqual(try store.put("objects/aa/big", from: DataReader(Self.sixMiB)).size, Int64(Self.sixMiB.count))
        let requests = try server.requests()
        XCTAssertEqual(requests.map { $0["method"] as? String }, ["POST", "PUT", "PUT", "POST", "POST", "HEAD"])
        XCTAssertEqual(requests.last?["path"] as? String, "/bucket/prefix/objects/aa/big")
        XCTAssertTrue(spoolIsEmpty)
    }

    func testNoSuchUploadAfterALostAnswerWithAnotherObjectThereFails() throws {
        for head: [String: Any] in [["content_length": Self.sixMiB.count, "headers": ["x-amz-checksum-crc32": "AAAAAA==-2"]],
                                    ["content_length": Self.sixMiB.count - 1], ["status": 404]] {
            let store = try store([Self.started, Self.partStored, Self.partStored, ["drop": true], Self.noSuchUpload, head, ["status": 204]],
                                  partSize: S3Store.minimumPartSize)
            XCTAssertThrowsError(try store.put("objects/aa/big", from: DataReader(Self.sixMiB))) {
                XCTAssertTrue($0.userMessage.hasPrefix("S3 could not complete the multipart upload of prefix/objects/aa/big in s3://bucket/prefix/: NoSuchUpload"), $0.userMessage)
            }
            XCTAssertEqual(try server.requests().map { $0["method"] as? String }, ["POST", "PUT", "PUT", "POST", "POST", "HEAD", "DELETE"])
            server.stop()
        }
    }

    func testNoSuchUploadOnTheFirstCompleteIsNotTakenForSuccess() throws {
        let store = try store([Self.started, Self.partStored, Self.partStored, Self.noSuchUpload, ["status": 204]],
                              partSize: S3Store.minimumPartSize)
        XCTAssertThrowsError(try store.put("objects/aa/big", from: DataReader(Self.sixMiB))) {
            XCTAssertTrue($0.userMessage.contains("NoSuchUpload"), $0.userMessage)
        }
        XCTAssertEqual(try server.requests().map { $0["method"] as? String }, ["POST", "PUT", "PUT", "POST", "DELETE"], "no HEAD")
    }

    func testListingAnswered200WithAnErrorIsRetriedNotTakenForAnEmptyListing() throws {
        let store = try store([Self.internalErrorIn200,
                               ["body": "<ListBucketResult><Contents><Key>prefix/snapshots/a</Key><LastModified>2026-12-02T20:31:07.000Z</LastModified><Size>3</Size></Contents><IsTruncated>false</IsTruncated></ListBucketResult>"]])
        XCTAssertEqual(try store.list(prefix: "snapshots/"), ["snapshots/a"])
        XCTAssertEqual(try server.requests().count, 2)
    }

    func testCompositeChecksumsMatchS3sDefinition() {
        // Two parts with CRC-32s 0x00000001 and 0x00000002: the CRC-32 of their 8 bytes.
        let crc = CRC32Writer()
        Data([0, 0, 0, 1, 0, 0, 0, 2]).withUnsafeBytes { try? crc.write($0) }
        XCTAssertEqual(MultipartChecksums.compositeCRC32(["AAAAAQ==", "AAAAAg=="]), "\(crc.base64)-2")
        // md5 of the two ETags' bytes.
        XCTAssertEqual(MultipartChecksums.compositeETag(["\"" + String(repeating: "0", count: 32) + "\""]),
                       "\"4ae71336e44bf9bf79d2752e234818a5-1\"")
        XCTAssertNil(MultipartChecksums.compositeETag(["\"e\""]))
    }

    func testRefusedPartAbortsTheUpload() throws {
        let store = try store([Self.started, ["status": 403, "body": "<Error><Code>AccessDenied</Code></Error>"], ["status": 204]],
                              partSize: S3Store.minimumPartSize)
        XCTAssertThrowsError(try store.put("objects/aa/big", from: DataReader(Self.sixMiB))) {
            XCTAssertTrue($0.userMessage.contains("S3 denied access"), $0.userMessage)
        }
        XCTAssertEqual(try server.requests().map { $0["method"] as? String }, ["POST", "PUT", "DELETE"])
    }

    func testPartRefusedOnceIsSentWholeAgain() throws {
        let store = try store([Self.started, Self.partStored, ["status": 503], Self.partStored,
                               ["body": "<CompleteMultipartUploadResult/>"]], partSize: S3Store.minimumPartSize)
        let data = Data((0..<(Int(S3Store.minimumPartSize) + 4321)).map { UInt8(truncatingIfNeeded: $0 &* 31) })
        let stored = try store.put("objects/aa/big", from: DataReader(data))
        XCTAssertEqual(stored.sha256, SHA256Hex.of(data))
        let requests = try server.requests()
        XCTAssertEqual(requests.map { $0["method"] as? String }, ["POST", "PUT", "PUT", "PUT", "POST"])
        XCTAssertEqual(requests[1...3].map { $0["received"] as? Int }, [Int(S3Store.minimumPartSize), 4321, 4321],
                       "the refused last part went again in full")
        XCTAssertEqual(retryLog.current.filter { $0.contains("retry") }.count, 1)
        XCTAssertTrue(spoolIsEmpty)
    }

    func testUnwritableTemporaryFolderIsOneSentenceAndSendsNothing() throws {
        let store = try store([], spoolDirectory: "/nonexistent/tmp")
        XCTAssertThrowsError(try store.put("objects/aa/x", from: DataReader(Data(Self.body.utf8)))) {
            XCTAssertTrue($0.userMessage.hasPrefix("Cannot write /nonexistent/tmp/dpm-s3-part-"), $0.userMessage)
            XCTAssertTrue($0.userMessage.hasSuffix(": No such file or directory."), $0.userMessage)
        }
        XCTAssertEqual(try server.requests().count, 0, "nothing reached the store")
    }

    func testUploadIsSentWholeAgainAfterAServerError() throws {
        let store = try store([["status": 500], ["status": 200]])
        let stored = try store.put("objects/aa/x", from: DataReader(Data(Self.body.utf8)))
        XCTAssertEqual(stored.size, Int64(Self.body.utf8.count))
        XCTAssertEqual(try server.requests().map { $0["method"] as? String }, ["PUT", "PUT"])
        XCTAssertTrue(spoolIsEmpty)
    }
}
