import DatasetKit
import Foundation
import ObjectStore
import XCTest

/// dpm gc through the real binary, against a `file:` store and moto: it deletes exactly the
/// objects no record names (and their damage marks), keeps young ones, reports the same
/// figures with --dry-run, and refuses bad input having changed nothing.
final class GCTests: XCTestCase {
    private var harness: Harness!

    override func setUpWithError() throws {
        harness = try Harness()
        // Objects counted one by one (PackTests: gc keeps a pack while a record places something in it).
        harness.environment = Harness.unpacked
    }
    override func tearDown() { harness?.tearDown() }

    func testDeletesExactlyTheUnreferencedObjectsInAFileStore() throws {
        try deletesExactlyTheUnreferencedObjects(in: try GCStore.file(harness))
    }

    func testDeletesExactlyTheUnreferencedObjectsInABucket() throws {
        try deletesExactlyTheUnreferencedObjects(in: try GCStore.moto(harness))
    }

    private func deletesExactlyTheUnreferencedObjects(in store: GCStore) throws {
        try Fixture.create(in: harness)
        try Fixture.createMedia(in: harness)
        for profile in ["ug", "qa"] { XCTAssertEqual(harness.dpm("profile", "create", profile, "--kind", "shared").status, 0) }
        let qa = try store.upload("qa")
        try harness.psql("INSERT INTO audit_log (entry) SELECT 'more ' || i FROM generate_series(1, 200) i")
        try harness.psql("UPDATE orders SET note = 'pruned' WHERE id < 50")
        let pruned = try store.upload("ug")
        try harness.psql("DELETE FROM audit_log WHERE entry LIKE 'more %'")
        try harness.psql("UPDATE orders SET note = 'kept' WHERE id < 50")
        let kept = try store.upload("ug")
        try store.removeRecord(pruned)
        // What only the removed record named: the audit_log and orders of that moment (and its toc.dat).
        let garbage = pruned.objectSet.subtracting(qa.objectSet).subtracting(kept.objectSet)
        XCTAssertGreaterThanOrEqual(garbage.count, 2, "the removed record had objects of its own")
        let markedGarbage = try XCTUnwrap(garbage.sorted().first)
        let gone = String(repeating: "ab", count: 32) // marked by verify, not in the store at all
        for id in [markedGarbage, gone] {
            try DamageMarks.write(DamageMark(object: id, problem: .corrupt, reason: "it was made up by the test", storedSize: nil,
                                             foundAt: "2026-01-01T00:00:00Z", host: "test", tool: "test", snapshots: []), to: store.store)
        }
        Thread.sleep(forTimeInterval: GCStore.beyondStale)
        let before = try store.objects()
        let garbageBytes = try garbage.reduce(Int64(0)) { $0 + (try XCTUnwrap(before[$1]).size) }
        // Unreferenced but written just now (again before each gc, the window being 2 s): an
        // upload may be about to name it.
        let young = String(repeating: "cd", count: 32)
        let writeYoung = { _ = try store.store.put(StoreLayout.objectKey(young), from: DataReader(Data("young".utf8))) }

        try writeYoung()
        let dryRun = try store.gc(["--dry-run"])
        XCTAssertEqual(Set(try store.objects().keys), Set(before.keys).union([young]), "a dry run deletes nothing")
        XCTAssertEqual(try DamageMarks.list(in: store.store).count, 2)
        XCTAssertEqual(try store.store.list(prefix: "gc/"), [], "a dry run leaves no marker")
        try writeYoung()
        let real = try store.gc()
        for report in [dryRun, real] {
            XCTAssertEqual(report.records, 3 - 1)
            XCTAssertEqual(report.garbageObjects, garbage.count)
            XCTAssertEqual(report.garbageBytes, garbageBytes)
            XCTAssertEqual(report.referencedObjects, before.count - garbage.count)
            XCTAssertEqual(report.youngObjects, 1)
            XCTAssertEqual(report.youngBytes, 5)
            XCTAssertEqual(report.damageMarks, 2)
            XCTAssertEqual(report.liveUploads, [])
        }
        XCTAssertTrue(dryRun.dryRun)
        XCTAssertEqual(dryRun.deletedObjects, 0)
        XCTAssertEqual(dryRun.deletedBytes, 0)
        XCTAssertEqual(real.deletedObjects, garbage.count)
        XCTAssertEqual(real.deletedBytes, garbageBytes)

        let after = try store.objects()
        XCTAssertEqual(Set(after.keys), Set(before.keys).subtracting(garbage).union([young]), "exactly the garbage went; the young object stayed")
        XCTAssertEqual(try DamageMarks.list(in: store.store), [])
        XCTAssertEqual(try store.store.list(prefix: "gc/").count, 1, "the finished marker stays for uploads that ran meanwhile")
        XCTAssertEqual(try store.leases(), [])

        let again = store.dpm("gc")
        XCTAssertEqual(again.status, 0, again.stderr)
        XCTAssertTrue(again.stdout.hasPrefix("Collected garbage in "), again.stdout)
        XCTAssertTrue(again.stdout.contains("reclaimed"), again.stdout)
        XCTAssertTrue(again.stdout.contains("named by 2 snapshot records"), again.stdout)
        XCTAssertEqual(again.stderr, "")

        try store.requireIntact()
        let target = harness.prefix + "_kept"
        let restore = store.dpm("restore", "ug", "--into", target)
        XCTAssertEqual(restore.status, 0, restore.stderr)
        XCTAssertEqual(try harness.contentDigest(of: target), try harness.contentDigest())
    }

    func testBadInputIsRefusedHavingDeletedNothing() throws {
        try Fixture.create(in: harness)
        XCTAssertEqual(harness.dpm("profile", "create", "ug", "--kind", "shared").status, 0)
        let store = try GCStore.file(harness)
        let snapshot = try store.upload("ug")
        try store.removeRecord(snapshot)
        Thread.sleep(forTimeInterval: GCStore.beyondStale)
        let leases = GCStore.leases
        try assertUsageError(["gc", "stray"], says: "Unexpected argument 'stray'")
        try assertUsageError(["gc", "-j", "0"], says: "--jobs must be between 1 and 64.")
        try assertUsageError(["gc", "--dry-run", "--json", "--jobs", "many"], says: "The value 'many' is invalid for '--jobs <n>'")
        _ = try harness.assertRefused(["gc"], environment: ["DPM_LEASE_STALE_SECONDS": "soon"],
                                      says: "DPM_LEASE_STALE_SECONDS must be a positive number of seconds, not \"soon\".")
        _ = try harness.assertRefused(["gc"], environment: ["DPM_LEASE_STALE_SECONDS": "10", "DPM_LEASE_REFRESH_SECONDS": "5"],
                                      says: "DPM_LEASE_REFRESH_SECONDS (5) must be less than half of DPM_LEASE_STALE_SECONDS (10).")
        let unreachable = ["DPM_STORE": "s3://nowhere/gc", "AWS_ENDPOINT_URL_S3": "http://127.0.0.1:1", "AWS_ACCESS_KEY_ID": "test",
                           "AWS_SECRET_ACCESS_KEY": "test", "AWS_REGION": "us-east-1", "DPM_S3_MAX_ATTEMPTS": "1"]
        _ = try harness.assertRefused(["gc"], environment: leases.merging(unreachable) { $1 }, says: "127.0.0.1")
        // A key in snapshots/ that is no record: its objects could not be known, so nothing goes.
        try store.store.put("snapshots/ug/notes.txt", from: DataReader(Data("hand-written".utf8)))
        _ = try harness.assertRefused(["gc"], environment: leases, says: "snapshots/ug/notes.txt, which is not a snapshot record dpm wrote")
        try store.store.put(StoreLayout.snapshotKey(profile: "ug", id: snapshot.id), from: DataReader(Data("{".utf8)))
        try store.store.delete("snapshots/ug/notes.txt")
        _ = try harness.assertRefused(["gc"], environment: leases, says: "gc deleted nothing")
    }

    /// The argument parser's refusal: its message and the usage (exit 64), nothing changed.
    private func assertUsageError(_ arguments: [String], says expected: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let before = try harness.stateFingerprint()
        let run = harness.dpm(arguments, environment: GCStore.leases)
        XCTAssertEqual(run.status, 64, run.stderr, file: file, line: line)
        XCTAssertTrue(run.stderr.hasPrefix("Error: \(expected)"), run.stderr, file: file, line: line)
        XCTAssertEqual(run.stdout, "", file: file, line: line)
        XCTAssertEqual(try harness.stateFingerprint(), before, "state changed", file: file, line: line)
    }
}
