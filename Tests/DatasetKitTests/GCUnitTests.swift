@testable import DatasetKit
import Foundation
import XCTest

/// A store in memory whose entries carry the time of their last write by a clock the test
/// moves: the store's clock that leases and markers are compared by.
final class ClockedStore: ObjectStore, @unchecked Sendable {
    private let items = Locked([String: (data: Data, modified: Date)]())
    let clock = Locked(Date(timeIntervalSince1970: 1_800_000_000))

    var displayName: String { "clocked memory" }

    func advance(_ seconds: Double) { clock.withValue { $0 = $0.addingTimeInterval(seconds) } }

    func put(_ key: String, from source: ByteReader, expectedSHA256: String?, overwrite: Bool,
             verify: (@Sendable (ByteReader) throws -> Void)?) throws -> StoredBytes {
        let data = try source.readAll()
        try verify?(DataReader(data))
        let now = clock.current
        try items.withValue { items in
            if !overwrite, items[key] != nil { throw DPMError.objectExists(key: key, store: displayName) }
            items[key] = (data, now)
        }
        return StoredBytes(size: Int64(data.count), sha256: SHA256Hex.of(data))
    }

    func open(_ key: String) throws -> ByteReader {
        guard let item = items.current[key] else { throw DPMError.objectNotFound(key: key, store: displayName) }
        return DataReader(item.data)
    }

    func storedSize(_ key: String) throws -> Int64? { items.current[key].map { Int64($0.data.count) } }

    func entries(prefix: String) throws -> [StoreEntry] {
        items.current.filter { $0.key.hasPrefix(prefix) }.sorted { $0.key < $1.key }
            .map { StoreEntry(key: $0.key, size: Int64($0.value.data.count), modified: $0.value.modified) }
    }

    func delete(_ key: String) throws { items.withValue { $0[key] = nil } }

    var keys: Set<String> { Set(items.current.keys) }
}

final class GCUnitTests: XCTestCase {
    private var root: String!

    override func setUpWithError() throws {
        root = FileManager.default.temporaryDirectory.path + "/dpm-gc-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: "\(root!)/app/profiles/ug", withIntermediateDirectories: true)
        try Data("kind: shared\n".utf8).write(to: URL(fileURLWithPath: "\(root!)/app/profiles/ug/profile.yaml"))
    }

    override func tearDown() { try? FileManager.default.removeItem(atPath: root) }

    private let leases = LeaseSettings(staleSeconds: 100, refreshSeconds: 30)

    private func workspace(_ store: ClockedStore, host: String = "gc-host") -> Workspace {
        Workspace(project: Project(root: "\(root!)/app", config: ProjectConfig()), store: store, codec: IdentityCodec(), toolVersion: "0.0.test",
                  leases: leases, host: host)
    }

    // MARK: settings

    func testLeaseSettingsDefaultsDecimalsAndRefusals() {
        XCTAssertEqual(LeaseSettings(environment: [:]), LeaseSettings(staleSeconds: 900, refreshSeconds: 60))
        let short = LeaseSettings(environment: ["DPM_LEASE_STALE_SECONDS": "2", "DPM_LEASE_REFRESH_SECONDS": "0.5"])
        XCTAssertNil(short.problem)
        XCTAssertEqual(short.staleSeconds, 2)
        XCTAssertEqual(short.lapseSeconds, 1.5)
        XCTAssertEqual(LeaseSettings(environment: ["DPM_LEASE_STALE_SECONDS": "0"]).problem,
                       "DPM_LEASE_STALE_SECONDS must be a positive number of seconds, not \"0\".")
        XCTAssertEqual(LeaseSettings(environment: ["DPM_LEASE_STALE_SECONDS": "x", "DPM_LEASE_REFRESH_SECONDS": "-1"]).problem,
                       "DPM_LEASE_STALE_SECONDS must be a positive number of seconds, not \"x\", and DPM_LEASE_REFRESH_SECONDS must be a positive number of seconds, not \"-1\".")
        XCTAssertEqual(LeaseSettings(environment: ["DPM_LEASE_REFRESH_SECONDS": "450"]).problem,
                       "DPM_LEASE_REFRESH_SECONDS (450) must be less than half of DPM_LEASE_STALE_SECONDS (900).")
        XCTAssertThrowsError(try LeaseSettings(environment: ["DPM_LEASE_STALE_SECONDS": "nan"]).require())
        XCTAssertEqual(Settings(environment: ["DPM_LEASE_STALE_SECONDS": "30", "DPM_LEASE_REFRESH_SECONDS": "5"]).leases,
                       LeaseSettings(staleSeconds: 30, refreshSeconds: 5))
    }

    func testAPauseUntilAFileAndATimedPause() {
        let until = Diagnostics(environment: ["DPM_PAUSE_AT": "upload.before-record", "DPM_PAUSE_UNTIL": "/tmp/go"]).pauseAt
        XCTAssertEqual(until, Diagnostics.Pause(step: "upload.before-record", seconds: 300, untilFile: "/tmp/go"))
        XCTAssertEqual(Diagnostics(environment: ["DPM_PAUSE_AT": "gc.before-sweep:2"]).pauseAt, Diagnostics.Pause(step: "gc.before-sweep", seconds: 2))
        XCTAssertNil(Diagnostics(environment: ["DPM_PAUSE_UNTIL": "/tmp/go"]).pauseAt, "no step, no pause")
    }

    // MARK: refresher

    func testTheRefresherMeasuresTheLongestSilenceSinceItsWatchRestarted() {
        let refresher = LeaseRefresher(interval: 1000, written: 0) {}
        refresher.noteSuccess(at: 5)
        refresher.noteSuccess(at: 20)
        refresher.noteSuccess(at: 22)
        XCTAssertEqual(refresher.longestSilence(now: 23), 15, "the gap from 5 to 20")
        XCTAssertEqual(refresher.longestSilence(now: 60), 38, "the time since the last rewrite counts too")
        XCTAssertEqual(refresher.sinceLastSuccess(now: 30), 8)
        refresher.restartWatch()
        XCTAssertEqual(refresher.longestSilence(now: 23), 1)
    }

    func testTheRefresherRewritesUntilStoppedAndNotAfter() {
        let count = Locked(0)
        let refresher = LeaseRefresher(interval: 0.02) { count.withValue { $0 += 1 } }
        refresher.start()
        Thread.sleep(forTimeInterval: 0.3)
        refresher.stop()
        let stopped = count.current
        XCTAssertGreaterThan(stopped, 3)
        Thread.sleep(forTimeInterval: 0.1)
        XCTAssertEqual(count.current, stopped, "no rewrite after stop returned")
        XCTAssertLessThan(refresher.sinceLastSuccess(), 0.2)
    }

    // MARK: the report's sentence

    func testTheSentenceNamesEachRunningUpload() {
        var report = GCReport(store: "s", dryRun: false, staleSeconds: 900)
        XCTAssertNil(report.runningUploadsSentence)
        let one = GCLease(key: "uploads/a.json", host: "build-7", profile: "ug", since: "2026-06-01T09:00:00Z", rewrittenAt: "x")
        report.liveUploads = [one]
        XCTAssertTrue(report.blocked)
        XCTAssertEqual(report.runningUploadsSentence,
                       "An upload of ug from build-7 has been running since 2026-06-01T09:00:00Z; gc deleted nothing: run it again when it has finished.")
        report.liveUploads.append(GCLease(key: "uploads/b.json", host: "laptop", profile: "qa", since: "2026-06-01T09:05:00Z", rewrittenAt: "y"))
        XCTAssertEqual(report.runningUploadsSentence,
                       "Uploads of ug from build-7 (since 2026-06-01T09:00:00Z), qa from laptop (since 2026-06-01T09:05:00Z) are running; gc deleted nothing: run it again when they have finished.")
        report.dryRun = true
        XCTAssertFalse(report.blocked)
        XCTAssertTrue(report.runningUploadsSentence?.contains("gc without --dry-run would delete nothing now") == true)
    }

    // MARK: a whole gc over a store with a clock

    private struct Stored {
        let store: ClockedStore
        let keptObjects: Set<String>
        let garbage: Set<String>
        let mediaFile: String
    }

    /// One record (schema, toc, a data file, a media index naming one media file) and two
    /// unreferenced objects written long ago.
    private func storeWithGarbage() throws -> Stored {
        let store = ClockedStore()
        let transfer = ObjectTransfer(store: store, codec: IdentityCodec())
        func artifact(_ path: String, _ text: String) throws -> Artifact {
            let stored = try transfer.storeData(Data(text.utf8))
            return Artifact(path: path, sha256: stored.sha256, size: stored.size, storedSize: stored.storedSize)
        }
        let file = try transfer.storeData(Data("a media file".utf8)).sha256
        let index = try artifact("media-index.json", String(decoding: try CanonicalJSON.encode([MediaEntry(path: "m.txt", size: 12, mode: 0o644, sha256: file, storedSize: 12)]), as: UTF8.self))
        let schema = try artifact("schema.sql", "CREATE TABLE t ();")
        let toc = try artifact("toc.dat", "toc")
        let garbage = try Set(["old rows", "an old media file"].map { try transfer.storeData(Data($0.utf8)).sha256 })
        let record = Snapshot(format: 1, id: "20260601T090000Z-000001", profile: "ug", kind: .shared, createdAt: "2026-06-01T09:00:00Z", message: "",
                              tool: "dpm test", compression: "zstd", source: SnapshotSource(database: "app", serverVersion: "16.4", serverVersionNumber: 160004),
                              filters: TableFilters(), migrations: [], schema: schema, data: [toc],
                              media: MediaSummary(index: index, files: 1, bytes: 12, storedBytes: 12), sizes: SnapshotSizes(total: 0, stored: 0, data: 0, media: 0))
        try store.put(StoreLayout.snapshotKey(profile: "ug", id: record.id), from: DataReader(try CanonicalJSON.encode(record)))
        store.advance(1000)
        return Stored(store: store, keptObjects: [file, index.sha256, schema.sha256, toc.sha256], garbage: garbage, mediaFile: file)
    }

    func testGCDeletesOldUnreferencedObjectsKeepsYoungOnesAndRemovesStaleLeasesMarksAndMarkers() throws {
        let stored = try storeWithGarbage()
        let store = stored.store
        let garbageMark = try XCTUnwrap(stored.garbage.first)
        for id in [garbageMark, String(repeating: "e", count: 64)] { try store.put(StoreLayout.damagedKey(id), from: DataReader(Data("{}".utf8))) }
        try store.put(UploadLease.key("crashed"), from: DataReader(Data("{}".utf8)))
        try store.put(FoundGCMarker.key("earlier"), from: DataReader(Data("{}".utf8)))
        store.advance(200)
        let young = try ObjectTransfer(store: store, codec: IdentityCodec()).storeData(Data("young".utf8)).sha256

        let report = try GarbageCollection(workspace: workspace(store)).run(GCRequest(jobs: 2))
        XCTAssertEqual(report.records, 1)
        XCTAssertEqual(report.referencedObjects, 4, "schema, toc, the media index and the media file it names")
        XCTAssertEqual(report.garbageObjects, 2)
        XCTAssertEqual(report.deletedObjects, 2)
        XCTAssertEqual(report.garbageBytes, Int64("old rows".utf8.count + "an old media file".utf8.count))
        XCTAssertEqual(report.youngObjects, 1)
        XCTAssertEqual(report.damageMarks, 2)
        XCTAssertEqual(report.staleLeases.map(\.key), [UploadLease.key("crashed")])
        XCTAssertEqual(report.markersRemoved, 1)
        let objects = Set(try store.list(prefix: "objects/").compactMap(ObjectListing.id(of:)))
        XCTAssertEqual(objects, stored.keptObjects.union([young]))
        XCTAssertEqual(try store.list(prefix: "damaged/"), [])
        XCTAssertEqual(try store.list(prefix: "uploads/"), [])
        let markers = try FoundGCMarker.list(in: store)
        XCTAssertEqual(markers.count, 1)
        XCTAssertEqual(markers.first?.record?.state, .finished)
        XCTAssertEqual(markers.first?.record?.swept, true)
        XCTAssertEqual(markers.first?.record?.deleted, 2)
    }

    func testALiveLeaseStopsGCAndADryRunChangesNothing() throws {
        let stored = try storeWithGarbage()
        let store = stored.store
        try store.put(UploadLease.key("running"), from: DataReader(try CanonicalJSON.encode(
            UploadLeaseRecord(host: "laptop", pid: 7, profile: "ug", startedAt: "2026-06-01T09:00:00Z", tool: "dpm t"))))
        store.advance(99)
        let before = store.keys
        let blocked = try GarbageCollection(workspace: workspace(store)).run(GCRequest())
        XCTAssertTrue(blocked.blocked)
        XCTAssertEqual(blocked.liveUploads.map(\.host), ["laptop"])
        XCTAssertEqual(store.keys, before, "nothing deleted, no marker left")
        let dryRun = try GarbageCollection(workspace: workspace(store)).run(GCRequest(dryRun: true))
        XCTAssertFalse(dryRun.blocked)
        XCTAssertEqual(dryRun.garbageObjects, 2)
        XCTAssertEqual(dryRun.deletedObjects, 0)
        XCTAssertEqual(store.keys, before)
        store.advance(2)
        XCTAssertEqual(try GarbageCollection(workspace: workspace(store)).run(GCRequest()).deletedObjects, 2, "once the lease is stale")
    }

    func testARecordThatCannotBeReadRefusesGCWithNothingDeleted() throws {
        let stored = try storeWithGarbage()
        let store = stored.store
        try store.put(StoreLayout.snapshotKey(profile: "ug", id: "20260701T090000Z-000002"), from: DataReader(Data("{".utf8)))
        store.advance(1000)
        let before = store.keys
        XCTAssertThrowsError(try GarbageCollection(workspace: workspace(store)).run(GCRequest())) { error in
            XCTAssertTrue(error.userMessage.hasSuffix("gc deleted nothing, since the objects it names would look unreferenced."), error.userMessage)
        }
        XCTAssertEqual(store.keys, before, "nothing deleted, no marker left")
    }

    // MARK: the commit check

    func testTheCommitCheckFailsOnlyWhenASweptGCFinishedAfterTheLeaseAndAnObjectIsGone() throws {
        let stored = try storeWithGarbage()
        let store = stored.store
        let objects = Dictionary(uniqueKeysWithValues: try stored.keptObjects.map { ($0, try XCTUnwrap(try store.storedSize(StoreLayout.objectKey($0)))) })
        let marker = { (swept: Bool, state: GCMarkerRecord.State) in
            _ = try store.put(FoundGCMarker.key("g"), from: DataReader(try CanonicalJSON.encode(GCMarkerRecord(
                host: "gc-box", pid: 1, state: state, swept: swept, dryRun: false, startedAt: "t", finishedAt: nil, deleted: nil, bytes: nil, tool: "t"))))
        }
        // A gc that finished before the lease was taken is irrelevant, whatever it deleted.
        try marker(true, .finished)
        store.advance(1)
        let lease = try UploadLease.take(profile: "ug", workspace: workspace(store, host: "uploader"))
        defer { lease.release() }
        let missing = stored.mediaFile
        try store.delete(StoreLayout.objectKey(missing))
        XCTAssertNoThrow(try UploadCommitCheck(lease: lease, note: { _ in }).run(objects: objects))

        // One that swept and finished after it: every object is checked, and one is gone.
        store.advance(1)
        try marker(true, .finished)
        XCTAssertThrowsError(try UploadCommitCheck(lease: lease, note: { _ in }).run(objects: objects)) { error in
            XCTAssertEqual(error.userMessage, "gc on gc-box deleted objects this upload reused while it ran (1 of the 4 it needs are gone); nothing was recorded: run the upload again.")
        }
        // All there again: the check passes, and moves Tl on past that gc.
        _ = try ObjectTransfer(store: store, codec: IdentityCodec()).storeData(Data("a media file".utf8))
        XCTAssertNoThrow(try UploadCommitCheck(lease: lease, note: { _ in }).run(objects: objects), "a tie with the lease's time is checked once, not in every round")
        store.advance(1)
        XCTAssertNoThrow(try UploadCommitCheck(lease: lease, note: { _ in }).run(objects: objects))
        try store.delete(StoreLayout.objectKey(missing))
        XCTAssertNoThrow(try UploadCommitCheck(lease: lease, note: { _ in }).run(objects: objects), "that gc finished before Tl moved on")
        // A gc that swept nothing (it found this lease) never makes it check.
        try marker(false, .finished)
        XCTAssertNoThrow(try UploadCommitCheck(lease: lease, note: { _ in }).run(objects: objects))
    }
}
