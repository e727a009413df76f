import DatasetKit
import Foundation
import ObjectStore
import XCTest

/// `dpm upload` of an object in parts against moto_server, through the fault server in proxy
/// mode, which spoils the answers to CompleteMultipartUpload the ways S3 can.
final class S3CompleteRetryTests: XCTestCase {
    private var harness: Harness!
    private var proxy: FaultProxy?

    override func setUpWithError() throws { harness = try Harness() }
    override func tearDown() {
        proxy?.stop()
        harness?.tearDown()
    }

    func testCompleteAnsweringAnErrorUnder200ThenA503ThenLostIsRetriedAndTheUploadSucceeds() throws {
        let bucket = try TestBucket(prefix: "team/app", cache: harness.root + "/cache")
        let endpoint = bucket.endpoint, direct = bucket.environment
        let proxy = try FaultProxy(upstream: endpoint, rules: [
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
        // Random bytes do not compress: the object goes up in two parts of at least 5 MiB.
        var generator = SystemRandomNumberGenerator()
        let large = Data((0..<(7 << 20)).map { _ in UInt8.random(in: 0...255, using: &generator) })
        try large.write(to: URL(fileURLWithPath: "\(harness.media)/large.bin"))
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

        // The object the lost attempt made is whole: restore it straight from the store.
        try FileManager.default.removeItem(atPath: harness.media)
        let restore = harness.dpm("restore", "ug", "--force", environment: direct.merging(["XDG_CACHE_HOME": harness.root + "/cache2"]) { $1 })
        XCTAssertEqual(restore.status, 0, restore.stderr)
        XCTAssertEqual(Fixture.mediaFingerprint(harness.media), media)
    }
}

/// Tests/Fixtures/fault_server.py in proxy mode: passes requests on to `upstream`, except those its rules take.
final class FaultProxy {
    let port: Int
    private let process: Process
    private let scriptPath: String

    init(upstream: String, rules: [[String: Any]]) throws {
        let fixture = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures/fault_server.py").path
        scriptPath = NSTemporaryDirectory() + "dpm-fault-proxy-\(UUID().uuidString).json"
        try JSONSerialization.data(withJSONObject: ["upstream": upstream, "rules": rules]).write(to: URL(fileURLWithPath: scriptPath))
        process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", fixture, scriptPath]
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let line = String(decoding: output.fileHandleForReading.availableData, as: UTF8.self)
        guard line.hasPrefix("PORT "), let port = Int(line.dropFirst(5).trimmingCharacters(in: .whitespacesAndNewlines)) else {
            process.terminate()
            throw DPMError.internal("The fault server did not start: \(line)")
        }
        self.port = port
    }

    func requests() throws -> [[String: Any]] {
        let curl = Process()
        curl.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        curl.arguments = ["curl", "-s", "--max-time", "10", "http://127.0.0.1:\(port)/__log"]
        let output = Pipe()
        curl.standardOutput = output
        try curl.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        curl.waitUntilExit()
        return try JSONSerialization.jsonObject(with: data) as? [[String: Any]] ?? []
    }

    func stop() {
        process.terminate()
        process.waitUntilExit()
        try? FileManager.default.removeItem(atPath: scriptPath)
    }
}
