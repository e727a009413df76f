import DatasetKit
import Foundation
import XCTest

/// dpm killed at a named step (DPM_STOP_AT, SIGKILL) leaves the state its ordering promises.
final class CrashSafetyTests: XCTestCase {
    private var harness: Harness!

    override func setUpWithError() throws {
        harness = try Harness()
        try Fixture.create(in: harness)
        try Fixture.createMedia(in: harness)
        harness.dpm("profile", "create", "ug", "--kind", "shared")
        XCTAssertEqual(harness.dpm("upload", "ug", "-m", "good").status, 0)
    }

    override func tearDown() { harness?.tearDown() }

    func testUploadKilledBeforeTheRecordLeavesNoSnapshotAndTheManifestAlone() throws {
        let manifest = try XCTUnwrap(harness.read("profiles/ug/manifest.json"))
        let records = try FileManager.default.contentsOfDirectory(atPath: "\(harness.store)/snapshots/ug")
        try harness.psql("INSERT INTO audit_log (entry) VALUES ('new row')")

        for step in ["upload.before-record", "upload.before-manifest"] {
            let killed = harness.dpm("upload", "ug", environment: ["DPM_STOP_AT": step])
            XCTAssertEqual(killed.status, SIGKILL, "\(step): \(killed.stderr)")
            XCTAssertEqual(harness.read("profiles/ug/manifest.json"), manifest, "\(step): manifest untouched")
        }
        let after = try FileManager.default.contentsOfDirectory(atPath: "\(harness.store)/snapshots/ug")
        XCTAssertEqual(after.count, records.count + 1, "only the run killed after its record left one")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: "\(harness.store)/.tmp"), [])

        let retry = harness.dpm("upload", "ug", "--json")
        XCTAssertEqual(retry.status, 0, retry.stderr)
        let result = try JSONDecoder().decode(UploadResult.self, from: Data(retry.stdout.utf8))
        XCTAssertLessThanOrEqual(result.objectsStored, 1, "objects from the killed runs are reused")
        XCTAssertNotEqual(harness.read("profiles/ug/manifest.json"), manifest)
    }

    func testRestoreKilledBeforeTheSwapLeavesTheTargetUntouched() throws {
        try harness.psql("DELETE FROM orders WHERE id > 100")
        try harness.write("local", to: "media/local.txt")
        let digest = try harness.contentDigest()
        let media = Fixture.mediaFingerprint(harness.media)

        let killed = harness.dpm("restore", "ug", "--force", environment: ["DPM_STOP_AT": "restore.before-swap"])
        XCTAssertEqual(killed.status, SIGKILL)
        XCTAssertEqual(try harness.contentDigest(), digest, "working database untouched")
        XCTAssertEqual(Fixture.mediaFingerprint(harness.media), media, "media folder untouched")
        XCTAssertNotNil(try harness.databases().first { $0.hasPrefix(harness.database + "__dpm_restore_") })
        // The next command (any) undoes what the killed restore was building.
        let status = harness.dpm("status")
        XCTAssertTrue(status.stderr.contains("An interrupted restore into \(harness.database) was rolled back"), status.stderr)
        XCTAssertFalse(status.stdout.contains("Leftover:  database"), status.stdout)
        XCTAssertEqual(try harness.databases(), [harness.database])
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: harness.root).filter { $0.contains("dpm-staging") }, [])
        let json = try JSONDecoder().decode(ProjectStatus.self, from: Data(harness.dpm("status", "--json").stdout.utf8))
        XCTAssertEqual(json.database.leftovers, [])

        let restored = harness.dpm("restore", "ug", "--force")
        XCTAssertEqual(restored.status, 0, restored.stderr)
        XCTAssertEqual(try harness.psql("SELECT count(*) FROM orders"), "2000")
    }
}
