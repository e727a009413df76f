import DatasetKit
import Foundation
@testable import ObjectStore
import XCTest

/// The store contract against a real S3 endpoint: moto_server, started by shell/test.sh,
/// whose address is in DPM_TEST_S3_ENDPOINT. Each test gets its own bucket.
final class S3StoreTests: StoreContractTests {
    static var endpoint: String? { ProcessInfo.processInfo.environment["DPM_TEST_S3_ENDPOINT"] }

    static func makeStore(prefix: String = "team/app", partSize: Int64 = 64 << 20) throws -> S3Store {
        guard let endpoint else {
            if ProcessInfo.processInfo.environment["DPM_TEST_REQUIRE_SERVICES"] == "1" {
                throw DPMError.internal("DPM_TEST_S3_ENDPOINT is not set although shell/test.sh should have started moto_server.")
            }
            throw XCTSkip("No S3 endpoint for the S3 store tests; run shell/test.sh.")
        }
        let bucket = "dpm-test-\(randomSuffix(12))"
        let configuration = try S3Configuration.resolve(
            url: "s3://\(bucket)/\(prefix)", endpoint: endpoint,
            aws: AWSSettings(environment: ["AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test", "AWS_REGION": "us-east-1"]))
        var transfer = S3TransferSettings(environment: [:])
        transfer.partSize = partSize
        let store = S3Store(configuration: configuration, transfer: transfer)
        try store.createBucket()
        return store
    }

    func testLargeObjectGoesUpInPartsAndComesBackWhole() throws {
        let store = try Self.makeStore(partSize: S3Store.minimumPartSize)
        var bytes = [UInt8](repeating: 0, count: 12 << 20 | 12345)
        for index in bytes.indices { bytes[index] = UInt8(truncatingIfNeeded: (index &* 2654435761) >> 13) }
        let data = Data(bytes)
        let stored = try store.put("objects/ab/large", from: DataReader(data))
        XCTAssertEqual(stored, StoredBytes(size: Int64(data.count), sha256: SHA256Hex.of(data)))
        XCTAssertEqual(try store.storedSize("objects/ab/large"), Int64(data.count))
        XCTAssertEqual(try store.open("objects/ab/large").readAll(limit: 64 << 20), data)

        // The CRC-32 of each part, as the server computed it from the bytes it got, combined
        // as S3 does (the CRC-32 of the parts' checksums): it must be what dpm declared.
        let partSize = Int(S3Store.minimumPartSize)
        let declared = try stride(from: 0, to: data.count, by: partSize).map { start -> Data in
            let crc = CRC32Writer()
            try data[start..<min(start + partSize, data.count)].withUnsafeBytes { try crc.write($0) }
            return try XCTUnwrap(Data(base64Encoded: crc.base64))
        }
        let combined = CRC32Writer()
        try declared.reduce(Data(), +).withUnsafeBytes { try combined.write($0) }
        let head = try CurlHTTPClient(timeoutSeconds: 10).perform(HTTPRequest(
            method: "HEAD", url: "\(Self.endpoint!)/\(store.configuration.bucket)/\(store.configuration.prefix)objects/ab/large",
            headers: [("x-amz-checksum-mode", "ENABLED")]))
        // (S3 appends "-3", the part count; moto's HEAD leaves it off.)
        XCTAssertEqual(head.headers["x-amz-checksum-crc32"]?.split(separator: "-").first.map(String.init), combined.base64)
    }

    func testCRC32IsZlibsInS3sBase64Form() throws {
        let check = CRC32Writer()
        try Data("123456789".utf8).withUnsafeBytes { try check.write($0) }
        XCTAssertEqual(check.base64, "y/Q5Jg==", "0xCBF43926, the CRC-32 check value")
        XCTAssertEqual(CRC32Writer().base64, "AAAAAA==")
    }

    override func makeStore() throws -> ObjectStore? { try Self.makeStore() }

    func testKeysOutsideThePrefixAreInvisible() throws {
        let store = try Self.makeStore(prefix: "a")
        try store.put("objects/aa/x", from: DataReader(Data("x".utf8)))
        let sibling = S3Store(configuration: {
            var configuration = store.configuration
            configuration.prefix = "ab/"
            return configuration
        }())
        try sibling.put("objects/aa/y", from: DataReader(Data("y".utf8)))
        XCTAssertEqual(try store.list(prefix: "objects/"), ["objects/aa/x"])
        XCTAssertEqual(try sibling.list(prefix: "objects/"), ["objects/aa/y"])
    }

    func testKeysWithSpecialCharactersRoundTrip() throws {
        let store = try Self.makeStore(prefix: "with space/ü")
        for key in ["snapshots/p/a b+c=d.json", "snapshots/p/ünï.json", "snapshots/p/x~y_z.json"] {
            try store.put(key, from: DataReader(Data(key.utf8)))
            XCTAssertEqual(try store.open(key).readAll(), Data(key.utf8), key)
        }
        XCTAssertEqual(try store.list(prefix: "snapshots/p/").count, 3)
    }

    func testMissingBucketAndBadCredentialsAreOneSentence() throws {
        guard let endpoint = Self.endpoint else { throw XCTSkip("No S3 endpoint") }
        let missing = S3Store(configuration: try S3Configuration.resolve(
            url: "s3://dpm-no-such-bucket-\(randomSuffix())/p", endpoint: endpoint,
            aws: AWSSettings(environment: ["AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test"])))
        XCTAssertThrowsError(try missing.list(prefix: "snapshots/")) {
            XCTAssertTrue($0.userMessage.hasPrefix("The bucket dpm-no-such-bucket-"), $0.userMessage)
            XCTAssertEqual(($0 as? DPMError)?.kind, .notFound)
            XCTAssertTrue($0.userMessage.hasSuffix("does not exist; create it or fix the store URL \(missing.displayName)."), $0.userMessage)
        }
        XCTAssertThrowsError(try S3Configuration.resolve(url: "s3://bucket/p", endpoint: endpoint,
                                                         aws: AWSSettings(environment: ["HOME": "/nonexistent"]))) {
            XCTAssertEqual($0.userMessage, "No AWS credentials for s3://bucket/p: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or add profile \"default\" to /nonexistent/.aws/credentials.")
        }
        let unreachable = S3Store(configuration: try S3Configuration.resolve(
            url: "s3://bucket/p", endpoint: "http://127.0.0.1:1", aws: AWSSettings(environment: ["AWS_ACCESS_KEY_ID": "k", "AWS_SECRET_ACCESS_KEY": "s3cr3t"])))
        XCTAssertThrowsError(try unreachable.exists("objects/aa/x")) {
            XCTAssertTrue($0.userMessage.hasPrefix("Cannot reach S3 at http://127.0.0.1:1 for s3://bucket/p/: "), $0.userMessage)
            XCTAssertEqual(($0 as? DPMError)?.kind, .unreachable)
            XCTAssertFalse($0.userMessage.contains("s3cr3t"))
        }
    }

    func testCredentialsFromSharedFilesAndProfiles() throws {
        let folder = NSTemporaryDirectory() + "dpm-aws-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try "[default]\naws_access_key_id = AKDEFAULT\naws_secret_access_key = sd\n\n[work]\naws_access_key_id=AKWORK\naws_secret_access_key=sw\naws_session_token = tw\n"
            .write(toFile: "\(folder)/credentials", atomically: true, encoding: .utf8)
        try "[default]\nregion = eu-west-1\n[profile work]\nregion = ap-south-1\n".write(toFile: "\(folder)/config", atomically: true, encoding: .utf8)
        let base = ["AWS_SHARED_CREDENTIALS_FILE": "\(folder)/credentials", "AWS_CONFIG_FILE": "\(folder)/config"]
        let standard = try S3Configuration.resolve(url: "s3://bucket", endpoint: nil, aws: AWSSettings(environment: base))
        XCTAssertEqual(standard.credentials, AWSCredentials(accessKeyID: "AKDEFAULT", secretAccessKey: "sd"))
        XCTAssertEqual(standard.region, "eu-west-1")
        XCTAssertFalse(standard.pathStyle, "virtual-hosted addressing for AWS")
        let work = try S3Configuration.resolve(url: "s3://bucket/x/y/", endpoint: nil, aws: AWSSettings(environment: base.merging(["AWS_PROFILE": "work"]) { $1 }))
        XCTAssertEqual(work.credentials, AWSCredentials(accessKeyID: "AKWORK", secretAccessKey: "sw", sessionToken: "tw"))
        XCTAssertEqual(work.region, "ap-south-1")
        XCTAssertEqual(work.prefix, "x/y/")
        let overridden = try S3Configuration.resolve(url: "s3://bucket", endpoint: "http://minio:9000",
                                                     aws: AWSSettings(environment: base.merging(["AWS_REGION": "us-west-2", "AWS_ACCESS_KEY_ID": "ENV", "AWS_SECRET_ACCESS_KEY": "e"]) { $1 }))
        XCTAssertEqual(overridden.credentials.accessKeyID, "ENV")
        XCTAssertEqual(overridden.region, "us-west-2")
        XCTAssertTrue(overridden.pathStyle, "path-style addressing for custom endpoints")
        XCTAssertThrowsError(try S3Configuration.resolve(url: "s3://Bad_Bucket/x", endpoint: nil, aws: AWSSettings(environment: base))) {
            XCTAssertTrue($0.userMessage.contains("does not name a valid bucket"))
        }
    }
}
