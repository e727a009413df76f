import DatasetKit
import Foundation
import ObjectStore
import XCTest

/// dpm gc racing uploads, through the real binary against a `file:` store and moto, with the
/// processes paused at named steps (DPM_PAUSE_AT, DPM_PAUSE_UNTIL) or frozen (SIGSTOP) where
/// the protocol must hold: no record ever names an object gc deleted (verify --all), and no
/// record is lost.
final class GCRaceTests: XCTestCase {
    private var harness: Harness!

    override func setUpWithError() throws {
        harness = try Harness()
        // The garbage an upload reuses is objects of their own: a packed small table is named
        // only where a record places it, so an upload never reuses a pack no record names.
        harness.environment = Harness.unpacked
    }
    override func tearDown() { harness?.tearDown() }

    private var gate: String { harness.root + "/go" }

    /// qa's record stays; ug's first record is removed (as dpm prune would), and its own
    /// objects (orders and audit_log as they are now, its toc.dat) are old garbage that the
    /// next upload of ug reuses, the data being unchanged.
    @discardableResult
    private func reusableGarbage(in store: GCStore) throws -> Set<String> {
        try Fixture.create(in: harness)
        for profile in ["ug", "qa"] { XCTAssertEqual(harness.dpm("profile", "create", profile, "--kind", "shared").status, 0) }
        let qa = try store.upload("qa")
        try harness.psql("UPDATE orders SET note = 'reused' WHERE id < 50; INSERT INTO audit_log (entry) VALUES ('reused')")
        let pruned = try store.upload("ug")
        try store.removeRecord(pruned)
        let garbage = pruned.objectSet.subtracting(qa.objectSet)
        XCTAssertGreaterThanOrEqual(garbage.count, 3)
        Thread.sleep(forTimeInterval: GCStore.beyondStale)
        return garbage
    }

    /// A failed upload's one sentence when gc took objects it reused.
    private func assertRefusedForDeletedObjects(_ run: Harness.Run, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertNotEqual(run.status, 0, file: file, line: line)
        let lines = run.stderr.split(separator: "\n").filter { !$0.hasPrefix("Pausing") && !$0.hasPrefix("Waiting for gc") }
        XCTAssertEqual(lines.count, 1, run.stderr, file: file, line: line)
        XCTAssertTrue(run.stderr.contains("deleted objects this upload reused while it ran"), run.stderr, file: file, line: line)
        XCTAssertTrue(run.stderr.contains("nothing was recorded: run the upload again."), run.stderr, file: file, line: line)
    }

    // MARK: 2. an upload paused before its record keeps gc from deleting anything

    func testAPausedUploadKeepsGCFromDeletingInAFileStore() throws { try pausedUploadBlocksGC(try GCStore.file(harness)) }
    func testAPausedUploadKeepsGCFromDeletingInABucket() throws { try pausedUploadBlocksGC(try GCStore.moto(harness)) }

    private func pausedUploadBlocksGC(_ store: GCStore) throws {
        try reusableGarbage(in: store)
        let upload = store.background("upload", "ug", environment: ["DPM_PAUSE_AT": "upload.before-record", "DPM_PAUSE_UNTIL": gate])
        try GCStore.waitUntilReached(gate, by: upload)
        XCTAssertEqual(try store.leases().count, 1)
        // Paused longer than the stale window: the refresher keeps the lease alive.
        Thread.sleep(forTimeInterval: GCStore.beyondStale)
        let before = try store.objects()

        let blocked = store.dpm("gc")
        XCTAssertEqual(blocked.status, 75, blocked.stderr)
        XCTAssertTrue(blocked.stderr.hasPrefix("error: An upload of ug from "), blocked.stderr)
        XCTAssertTrue(blocked.stderr.contains("has been running since"), blocked.stderr)
        XCTAssertTrue(blocked.stderr.hasSuffix("gc deleted nothing: run it again when it has finished.\n"), blocked.stderr)
        XCTAssertEqual(blocked.stderr.filter { $0 == "\n" }.count, 1, blocked.stderr)
        XCTAssertEqual(blocked.stdout, "")
        let json = try store.gc(status: 75)
        XCTAssertEqual(json.liveUploads.map(\.profile), ["ug"])
        XCTAssertEqual(json.deletedObjects, 0)
        let dryRun = try store.gc(["--dry-run"])
        XCTAssertEqual(dryRun.liveUploads.count, 1)
        XCTAssertGreaterThan(dryRun.garbageObjects, 0, "what the upload reuses is still unreferenced")
        XCTAssertEqual(Set(try store.objects().keys), Set(before.keys), "nothing deleted")
        XCTAssertEqual(try store.store.list(prefix: "gc/"), [], "a gc that deleted nothing leaves no marker")

        GCStore.open(gate)
        let finished = upload.wait()
        XCTAssertEqual(finished.status, 0, finished.stderr)
        XCTAssertEqual(try store.leases(), [])
        XCTAssertEqual(try store.recordIDs("ug").count, 1)
        try store.requireIntact()
    }

    // MARK: 3. a lease that lapsed: the commit check finds what gc deleted

    func testAnUploadWhoseLeaseLapsedRecordsNothingInAFileStore() throws { try lapsedLease(try GCStore.file(harness)) }
    func testAnUploadWhoseLeaseLapsedRecordsNothingInABucket() throws { try lapsedLease(try GCStore.moto(harness)) }

    /// The upload is frozen (SIGSTOP, its refresher too) beyond the stale window while paused
    /// before its record, so gc finds its lease dead and deletes the objects it reused. Without
    /// the commit check the upload would go on to put a record naming them, and verify --all
    /// below would find them missing: with UploadCommitCheck.run made a no-op, this test fails
    /// there (tried while writing it).
    private func lapsedLease(_ store: GCStore) throws {
        let garbage = try reusableGarbage(in: store)
        let upload = store.background("upload", "ug", environment: ["DPM_PAUSE_AT": "upload.before-record", "DPM_PAUSE_UNTIL": gate])
        try GCStore.waitUntilReached(gate, by: upload)
        XCTAssertEqual(kill(upload.pid, SIGSTOP), 0)
        Thread.sleep(forTimeInterval: GCStore.beyondStale + 0.5)

        let report = try store.gc()
        XCTAssertEqual(report.liveUploads, [])
        XCTAssertEqual(report.staleLeases.map(\.profile), ["ug"], "the frozen upload's lease is dead")
        let stored = try store.objects()
        let deletedReused = garbage.filter { stored[$0] == nil }
        XCTAssertFalse(deletedReused.isEmpty, "gc deleted objects the upload reused")
        XCTAssertEqual(report.deletedObjects, report.garbageObjects)

        XCTAssertEqual(kill(upload.pid, SIGCONT), 0)
        GCStore.open(gate)
        assertRefusedForDeletedObjects(upload.wait())
        XCTAssertEqual(try store.recordIDs("ug"), [], "no record was written")
        XCTAssertEqual(try store.leases(), [])
        try store.requireIntact()

        try store.upload("ug")
        try store.requireIntact()
    }

    // MARK: 4. gc paused before its sweep: the upload waits, then checks again

    func testAnUploadWaitsForARunningGCAndChecksAgainInAFileStore() throws { try uploadWaitsForGC(try GCStore.file(harness)) }
    func testAnUploadWaitsForARunningGCAndChecksAgainInABucket() throws { try uploadWaitsForGC(try GCStore.moto(harness)) }

    private func uploadWaitsForGC(_ store: GCStore) throws {
        let garbage = try reusableGarbage(in: store)
        let gc = store.background("gc", "--json", environment: ["DPM_PAUSE_AT": "gc.before-sweep", "DPM_PAUSE_UNTIL": gate])
        try GCStore.waitUntilReached(gate, by: gc)
        // Started after gc listed the leases: it finds (and reuses) the garbage gc is about to delete.
        let upload = store.background("upload", "ug")
        try upload.waitForStderr(containing: "Waiting for gc on ", seconds: 120)
        XCTAssertEqual(try store.recordIDs("ug"), [], "no record while gc runs")
        GCStore.open(gate)

        let swept = gc.wait()
        XCTAssertEqual(swept.status, 0, swept.stderr)
        let report = try JSONDecoder().decode(GCReport.self, from: Data(swept.stdout.utf8))
        XCTAssertGreaterThanOrEqual(report.deletedObjects, garbage.count)
        assertRefusedForDeletedObjects(upload.wait())
        XCTAssertEqual(try store.recordIDs("ug"), [])
        XCTAssertEqual(try store.leases(), [])
        try store.requireIntact()

        try store.upload("ug")
        try store.requireIntact()
    }

    // MARK: 5. two uploads at once

    func testTwoUploadsAtOnceKeepBothRecordsInAFileStore() throws { try twoUploadsAtOnce(try GCStore.file(harness)) }
    func testTwoUploadsAtOnceKeepBothRecordsInABucket() throws { try twoUploadsAtOnce(try GCStore.moto(harness)) }

    private func twoUploadsAtOnce(_ store: GCStore) throws {
        try Fixture.create(in: harness)
        try Fixture.createMedia(in: harness)
        for profile in ["ug", "qa"] { XCTAssertEqual(harness.dpm("profile", "create", profile, "--kind", "shared").status, 0) }
        // Different profiles.
        let pair = [store.background("upload", "ug", "-m", "one"), store.background("upload", "qa", "-m", "two")]
        for run in pair.map({ $0.wait() }) { XCTAssertEqual(run.status, 0, run.stderr) }
        XCTAssertEqual(try store.recordIDs("ug").count, 1)
        XCTAssertEqual(try store.recordIDs("qa").count, 1)
        // The same profile: both records stay; the one to finish second may leave the manifest to the first.
        try harness.psql("INSERT INTO audit_log (entry) VALUES ('both')")
        let same = [store.background("upload", "ug", "-m", "three"), store.background("upload", "ug", "-m", "four")]
        for run in same.map({ $0.wait() }) {
            XCTAssertTrue(run.status == 0 || run.stderr.contains("now pins"), run.stderr)
        }
        XCTAssertEqual(try store.recordIDs("ug").count, 3)
        XCTAssertEqual(try store.leases(), [])
        try store.requireIntact()
        Thread.sleep(forTimeInterval: GCStore.beyondStale)
        let report = try store.gc()
        XCTAssertEqual(report.records, 4)
        XCTAssertEqual(report.deletedObjects, 0, "every object the uploads stored is named by their records")
        try store.requireIntact()
    }

    // MARK: 6. gc, prune and uploads in parallel, a few rounds

    func testGCPruneAndUploadsInParallelLoseNothingInAFileStore() throws { try parallelRounds(try GCStore.file(harness)) }
    func testGCPruneAndUploadsInParallelLoseNothingInABucket() throws { try parallelRounds(try GCStore.moto(harness)) }

    private func parallelRounds(_ store: GCStore) throws {
        try Fixture.create(in: harness)
        for profile in ["ug", "qa"] { XCTAssertEqual(harness.dpm("profile", "create", profile, "--kind", "shared").status, 0) }
        var expected = Set<String>()
        for profile in ["ug", "qa"] {
            let snapshot = try store.upload(profile)
            expected.insert(StoreLayout.snapshotKey(profile: profile, id: snapshot.id))
        }
        var removed = Set<String>()
        var outcomes: [String: Int] = [:]
        for round in 0..<4 {
            // The data goes back and forth, so that an upload may reuse objects of a record removed a round before.
            try harness.psql(round % 2 == 0 ? "INSERT INTO audit_log (entry) VALUES ('round')" : "DELETE FROM audit_log WHERE entry = 'round'")
            let uploads = ["ug", "qa"].map { store.background("upload", $0, "--json") }
            if round > 0 { usleep(UInt32(200_000 * round)) }
            let gc = store.background("gc", "--json")
            // The real dpm prune beside them: it keeps the newest record of each profile it
            // lists and the pinned one, and says which it removed.
            let prune = store.background("prune", "--keep-last", "1", "--json")
            for run in uploads.map({ $0.wait() }) {
                if run.status == 0 {
                    let result = try JSONDecoder().decode(UploadResult.self, from: Data(run.stdout.utf8))
                    expected.insert(StoreLayout.snapshotKey(profile: result.profile, id: result.snapshot))
                    outcomes["upload recorded", default: 0] += 1
                } else {
                    assertRefusedForDeletedObjects(run)
                    outcomes["upload refused", default: 0] += 1
                }
            }
            let pruned = prune.wait()
            XCTAssertEqual(pruned.status, 0, pruned.stderr)
            let report = try JSONDecoder().decode(PruneOutcome.self, from: Data(pruned.stdout.utf8))
            for profile in report.profiles {
                for snapshot in profile.snapshots where !snapshot.kept {
                    let key = StoreLayout.snapshotKey(profile: profile.profile, id: snapshot.id)
                    XCTAssertTrue(expected.contains(key), "prune removed \(key), which no upload recorded")
                    removed.insert(key)
                }
            }
            outcomes["prune removed", default: 0] += report.profiles.reduce(0) { $0 + $1.snapshots.filter { !$0.kept }.count }
            let collected = gc.wait()
            XCTAssertTrue([0, 75].contains(collected.status), collected.stderr)
            outcomes["gc exit \(collected.status)", default: 0] += 1
            XCTAssertEqual(try store.allRecords(), expected.subtracting(removed), "round \(round): every record not removed is there")
            try store.requireIntact(readData: false)
        }
        Thread.sleep(forTimeInterval: GCStore.beyondStale)
        let last = try store.gc()
        XCTAssertEqual(last.liveUploads, [])
        XCTAssertEqual(try store.allRecords(), expected.subtracting(removed))
        try store.requireIntact()
        print("GC race rounds: \(outcomes.sorted { $0.key < $1.key }), last gc deleted \(last.deletedObjects)")
    }
}

/// What the race test reads of `dpm prune --json`.
private struct PruneOutcome: Decodable {
    struct Profile: Decodable {
        struct Entry: Decodable {
            let id: String
            let kept: Bool
        }
        let profile: String
        let snapshots: [Entry]
    }
    let profiles: [Profile]
}
