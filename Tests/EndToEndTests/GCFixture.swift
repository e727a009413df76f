import DatasetKit
import Foundation
import ObjectStore
import XCTest

/// One store a gc test runs against, the project's `file:` store or a fresh moto bucket, with
/// direct access for what the tests inspect or do behind dpm's back (removing a record, as
/// dpm prune does), and a stale window of 2 s so that the tests can wait it out.
struct GCStore {
    let store: ObjectStore
    /// What every dpm run of the test gets: the short stale window (and the bucket, on moto).
    let environment: [String: String]
    let harness: Harness

    static let leases = ["DPM_LEASE_STALE_SECONDS": "2", "DPM_LEASE_REFRESH_SECONDS": "0.5"]
    /// Beyond the stale window: objects written before are old enough for gc, leases not
    /// rewritten since are dead. S3 gives whole seconds (LastModified is truncated), so a time
    /// may read up to a second early: the window plus that second, and a margin.
    static let beyondStale = 3.3

    static func file(_ harness: Harness) throws -> GCStore {
        GCStore(store: try LocalStoreAccess.open(harness.store), environment: leases, harness: harness)
    }

    static func moto(_ harness: Harness) throws -> GCStore {
        let bucket = try TestBucket(prefix: "gc", cache: harness.root + "/cache")
        return GCStore(store: bucket.store, environment: bucket.environment.merging(leases) { $1 }, harness: harness)
    }

    @discardableResult
    func dpm(_ arguments: String..., environment extra: [String: String] = [:]) -> Harness.Run {
        harness.dpm(arguments, environment: environment.merging(extra) { $1 })
    }

    func background(_ arguments: String..., environment extra: [String: String] = [:]) -> BackgroundDPM {
        BackgroundDPM(harness: harness, arguments: arguments, environment: environment.merging(extra) { $1 })
    }

    /// Uploads `profile`, expecting success; its new snapshot.
    @discardableResult
    func upload(_ profile: String, file: StaticString = #filePath, line: UInt = #line) throws -> Snapshot {
        let run = dpm("upload", profile)
        XCTAssertEqual(run.status, 0, run.stderr, file: file, line: line)
        return try VerifyTests.manifest(profile, in: harness)
    }

    func recordIDs(_ profile: String) throws -> Set<String> {
        Set(try store.list(prefix: "snapshots/\(profile)/").map { String($0.split(separator: "/").last!.dropLast(5)) })
    }

    func allRecords() throws -> Set<String> { Set(try store.list(prefix: "snapshots/")) }

    func record(_ profile: String, _ id: String) throws -> Snapshot {
        try CanonicalJSON.decode(Snapshot.self, from: store.open(StoreLayout.snapshotKey(profile: profile, id: id)).readAll(), what: "record")
    }

    /// What dpm prune does to a snapshot: its record goes, its objects stay for gc.
    func removeRecord(_ snapshot: Snapshot) throws {
        try store.delete(StoreLayout.snapshotKey(profile: snapshot.profile, id: snapshot.id))
    }

    func objects() throws -> [String: StoreEntry] { try ObjectListing.all(in: store) }

    func leases() throws -> [String] { try store.list(prefix: "uploads/") }

    /// dpm gc --json with `arguments`, expecting `status`; its report.
    func gc(_ arguments: [String] = [], status: Int32 = 0, environment extra: [String: String] = [:],
            file: StaticString = #filePath, line: UInt = #line) throws -> GCReport {
        let run = harness.dpm(["gc", "--json"] + arguments, environment: environment.merging(extra) { $1 })
        XCTAssertEqual(run.status, status, "dpm gc \(arguments): \(run.stderr)", file: file, line: line)
        return try JSONDecoder().decode(GCReport.self, from: Data(run.stdout.utf8))
    }

    /// verify --all (with `--read-data` if asked) passes: no record names a missing or damaged object.
    func requireIntact(readData: Bool = true, file: StaticString = #filePath, line: UInt = #line) throws {
        try VerifyTests.verify(["--all"] + (readData ? ["--read-data"] : []), in: harness, environment: environment, status: 0,
                               file: file, line: line)
    }

    /// Waits for a process paused with DPM_PAUSE_UNTIL=`gate` to reach its step.
    static func waitUntilReached(_ gate: String, by process: BackgroundDPM, seconds: Double = 120) throws {
        let deadline = Date().addingTimeInterval(seconds)
        while !FileManager.default.fileExists(atPath: gate + ".reached") {
            guard Date() < deadline else { throw DPMError.internal("the pause at \(gate) was not reached: \(process.stderr)") }
            usleep(50_000)
        }
    }

    static func open(_ gate: String) { _ = FileManager.default.createFile(atPath: gate, contents: Data()) }
}

extension Snapshot {
    /// The objects of the record itself (schema, data files, media index).
    var objectSet: Set<String> { Set(objectHashes) }
}
