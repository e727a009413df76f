import DatasetKit
import Foundation
import ObjectStore
import XCTest

/// dpm log, pin and tag against moto, and log over a store of 2,000 records.
final class S3HistoryTests: XCTestCase {
    private var harness: Harness!
    /// Outside the project, so that a refused command's cached records do not count as a change.
    private var cache: String!

    override func setUpWithError() throws {
        harness = try Harness()
        cache = NSTemporaryDirectory() + "dpm-history-cache-\(UUID().uuidString)"
    }

    override func tearDown() {
        harness?.tearDown()
        if let cache { try? FileManager.default.removeItem(atPath: cache) }
    }

    @discardableResult
    private func dpmOK(_ arguments: [String], environment: [String: String]) throws -> Harness.Run {
        let run = harness.dpm(arguments, environment: environment)
        guard run.status == 0 else { throw DPMError.internal("dpm \(arguments.joined(separator: " ")) failed: \(run.stderr)") }
        return run
    }

    private func log(_ environment: [String: String]) throws -> ProfileHistory {
        let run = try dpmOK(["log", "ug", "--json"], environment: environment)
        XCTAssertEqual(run.stderr, "")
        return try JSONDecoder().decode(ProfileHistory.self, from: Data(run.stdout.utf8))
    }

    func testLogPinAndTagsThroughS3() throws {
        let bucket = try TestBucket(prefix: "team/app", cache: cache)
        // One table's object on its own, to remove from the bucket (PackTests removes a pack).
        let environment = bucket.environment.merging(Harness.unpacked) { $1 }
        let history = try HistoryTests.makeHistory(in: harness, environment: environment)

        let log = try log(environment)
        XCTAssertTrue(log.store.hasPrefix("s3://"), log.store)
        XCTAssertEqual(log.pinned, history.ids[2])
        XCTAssertEqual(log.snapshots.map(\.id), history.ids.reversed())
        XCTAssertEqual(log.snapshots.map(\.tags), [[], ["release-2"], []])
        XCTAssertEqual(log.snapshots.map { $0.commits.map(\.subject) }, [["ug: third upload"], ["ug: second upload"], ["ug: first upload"]])
        var objectBytes: Int64 = 0
        for key in try bucket.store.list(prefix: "objects/") { objectBytes += try XCTUnwrap(try bucket.store.storedSize(key)) }
        XCTAssertEqual(log.snapshots.map(\.newlyStored).reduce(0, +), objectBytes, "the figures add up to what the bucket holds")

        // Back to the tag and forward again; restore loads what is pinned.
        try dpmOK(["pin", "ug", "release-2"], environment: environment)
        let record = { (id: String) in try bucket.store.open(StoreLayout.snapshotKey(profile: "ug", id: id)).readAll() }
        XCTAssertEqual(harness.read("profiles/ug/manifest.json"), try record(history.ids[1]))
        let restore = harness.dpm("restore", "ug", "--force", environment: environment)
        XCTAssertEqual(restore.status, 0, restore.stderr)
        XCTAssertEqual(try harness.contentDigest(), history.digests[1])
        try dpmOK(["pin", "ug", history.ids[2]], environment: environment)
        XCTAssertEqual(harness.read("profiles/ug/manifest.json"), try record(history.ids[2]))

        // Tags are create-only in the bucket too (If-None-Match), and --force moves one.
        try dpmOK(["tag", "ug", history.ids[0], "contract-7"], environment: environment)
        try harness.assertRefused(["tag", "ug", history.ids[2], "contract-7"], environment: environment,
                                  says: "The tag contract-7 of ug already names snapshot \(history.ids[0])")
        try dpmOK(["tag", "ug", history.ids[2], "contract-7", "--force"], environment: environment)
        let moved = try CanonicalJSON.decode(TagRecord.self, from: try bucket.store.open("tags/ug/contract-7.json").readAll(), what: "tag")
        XCTAssertEqual(moved.snapshot, history.ids[2])
        XCTAssertEqual(moved.previous, history.ids[0])
        try HistoryTests.assertOneWinner(in: harness, history: history, environment: environment) {
            try bucket.store.open("tags/ug/race.json").readAll()
        }

        // An object missing from the bucket refuses the pin, naming it.
        let unique = try XCTUnwrap(history.records[0].data.first { artifact in
            artifact.table == "public.audit_log" && !history.records[1].data.contains { $0.sha256 == artifact.sha256 }
        })
        try bucket.store.delete(StoreLayout.objectKey(unique.sha256))
        try harness.assertRefused(["pin", "ug", history.ids[0]], environment: environment,
                                  says: "Snapshot \(history.ids[0]) cannot be pinned from \(bucket.url)/: object \(unique.sha256) (\(unique.path), data of public.audit_log) is missing; nothing was changed.")
    }

    /// 2,000 records (and 20 tags) in moto: log reads them in parallel, well within 30 s, and
    /// again from the download cache.
    func testLogOfTwoThousandRecordsIsFast() throws {
        let bucket = try TestBucket(prefix: "big", cache: cache)
        let environment = bucket.environment
        try Fixture.create(in: harness)
        harness.dpm("profile", "create", "ug", "--kind", "shared")
        let upload = harness.dpm(["upload", "ug", "--no-media"], environment: environment)
        XCTAssertEqual(upload.status, 0, upload.stderr)
        let template = try CanonicalJSON.decode(Snapshot.self, from: XCTUnwrap(harness.read("profiles/ug/manifest.json")), what: "manifest")
        let start = Date(timeIntervalSince1970: 1_750_000_000)
        let store = bucket.store
        let generated = (0..<2000).map { start.addingTimeInterval(Double($0) * 3600) }
        try concurrentForEach(Array(generated.enumerated()), width: 32) { index, date in
            var record = template
            record.id = SnapshotID.make(at: date)
            record.createdAt = Timestamp.iso8601(date)
            record.message = "generated \(index)"
            try store.put(StoreLayout.snapshotKey(profile: "ug", id: record.id), from: DataReader(try CanonicalJSON.encode(record)))
            if index % 100 == 0 {
                let tag = TagRecord(name: try TagName("t\(index)"), profile: try ProfileName("ug"), snapshot: record.id,
                                    createdAt: record.createdAt, tool: "test")
                try store.put(StoreLayout.tagKey(profile: "ug", name: tag.name), from: DataReader(try CanonicalJSON.encode(tag)))
            }
        }

        var seconds: [Double] = []
        for _ in 0..<2 {
            let began = Date()
            let log = try log(environment)
            seconds.append(Date().timeIntervalSince(began))
            XCTAssertEqual(log.snapshots.count, 2001)
            XCTAssertEqual(log.snapshots.first?.id, template.id, "the upload is newest")
            XCTAssertEqual(log.snapshots.filter { !$0.tags.isEmpty }.count, 20)
            XCTAssertEqual(log.snapshots.filter { $0.newlyStored > 0 }.map(\.message), ["generated 0"], "the oldest record stored what they all name")
        }
        print("dpm log of 2001 records in moto: \(String(format: "%.2f", seconds[0])) s, then \(String(format: "%.2f", seconds[1])) s with the records cached")
        XCTAssertLessThan(seconds[0], 30)
        XCTAssertLessThan(seconds[1], 30)
    }
}
