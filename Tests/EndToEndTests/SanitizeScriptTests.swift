import DatasetKit
import Foundation
import XCTest

/// `sanitize.scripts` in profile.yaml: SQL run (ON_ERROR_STOP) on a scratch copy of the
/// source before the upload reads it; the source itself is never changed.
final class SanitizeScriptTests: XCTestCase {
    private var harness: Harness!
    /// Every upload of a profile with a sanitize: section needs the key.
    private let environment = ["DPM_SANITIZE_KEY": "test-key-of-at-least-16-characters"]

    override func setUpWithError() throws {
        harness = try Harness()
        try Fixture.create(in: harness)
    }

    override func tearDown() { harness?.tearDown() }

    /// The profile `ug` with the scripts (and `keep` for the fixture's personal-looking columns).
    private func profile(scripts: [String]) throws {
        try harness.write("""
            kind: shared
            sanitize:
              columns:
                public.accounts.name: keep
                public.orders.note: keep
              scripts: [\(scripts.joined(separator: ", "))]

            """, to: "profiles/ug/profile.yaml")
    }

    private let purge = """
        -- Orders above 250 are another customer's; accounts get neutral names.
        DELETE FROM orders WHERE amount > 250;
        UPDATE accounts SET name = 'account ' || id;

        """

    private func scratchFolders() throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: NSTemporaryDirectory())
            .filter { $0.hasPrefix("dpm-sanitize-") || $0.hasPrefix("dpm-import-") || $0.hasPrefix("dpm-tool-") }
    }

    private func upload(_ arguments: String...) throws -> Snapshot {
        let run = harness.dpm(["upload", "ug", "--no-media"] + arguments, environment: environment)
        XCTAssertEqual(run.status, 0, run.stderr)
        return try CanonicalJSON.decode(Snapshot.self, from: XCTUnwrap(harness.read("profiles/ug/manifest.json")), what: "manifest")
    }

    /// The purge's effect, in a database the snapshot was restored into.
    private func assertPurged(_ copy: String, auditRows: Int = 500, file: StaticString = #filePath, line: UInt = #line) throws {
        XCTAssertEqual(try harness.psql("SELECT count(*) FROM orders WHERE amount > 250", in: copy), "0", file: file, line: line)
        XCTAssertEqual(try harness.psql("SELECT count(*) FROM orders", in: copy),
                       try harness.psql("SELECT count(*) FROM orders WHERE amount <= 250"), file: file, line: line)
        XCTAssertEqual(try harness.psql("SELECT count(*) FROM accounts WHERE name <> 'account ' || id", in: copy), "0", file: file, line: line)
        XCTAssertEqual(try harness.psql("SELECT count(*) FROM audit_log", in: copy), "\(auditRows)", file: file, line: line)
    }

    func testAPurgeScriptRunsOnACopyAndTheSourceStaysAsItWas() throws {
        try harness.write(purge, to: "db/sanitize/purge.sql")
        try profile(scripts: ["db/sanitize/purge.sql"])
        let before = try harness.contentDigest()
        let snapshot = try upload()
        XCTAssertEqual(try harness.contentDigest(), before, "the working database is unchanged")
        XCTAssertEqual(snapshot.source.database, harness.database, "the record names the source, not the scratch copy")
        XCTAssertEqual(snapshot.rowCount, 301 + 2 + 500 + Int64(try harness.psql("SELECT count(*) FROM orders WHERE amount <= 250"))!)
        XCTAssertEqual(try harness.databases(), [harness.database], "no scratch database left")
        XCTAssertEqual(try scratchFolders(), [])

        let copy = harness.prefix + "_copy"
        let restore = harness.dpm("restore", "ug", "--into", copy)
        XCTAssertEqual(restore.status, 0, restore.stderr)
        try assertPurged(copy)
        let recorded = [SanitizeScriptRecord(path: "db/sanitize/purge.sql", sha256: SHA256Hex.of(Data(purge.utf8)))]
        XCTAssertEqual(snapshot.sanitize?.scripts, recorded, "the record names each script with the SHA-256 of its text")
        XCTAssertEqual(try SanitizeScripts.records(of: ProfileName("ug"), project: projectForRecords()), recorded)
    }

    func testScriptsRunInOrderOnACopyOfTheFromDatabase() throws {
        let other = harness.prefix + "_prod"
        try Fixture.create(in: harness, database: other)
        try harness.write(purge, to: "db/sanitize/1-purge.sql")
        try harness.write("DELETE FROM audit_log WHERE id > 100;\n", to: "db/sanitize/2-audit.sql")
        try profile(scripts: ["db/sanitize/1-purge.sql", "db/sanitize/2-audit.sql"])
        let before = try harness.contentDigest(of: other)
        let snapshot = try upload("--from", "dbname=\(other)")
        XCTAssertEqual(snapshot.source.database, other)
        XCTAssertEqual(snapshot.source.properties?.encoding, "UTF8")
        XCTAssertEqual(try harness.contentDigest(of: other), before, "the --from database is unchanged")
        XCTAssertEqual(Set(try harness.databases()), [harness.database, other], "no scratch database left")

        let copy = harness.prefix + "_copy"
        XCTAssertEqual(harness.dpm("restore", "ug", "--into", copy).status, 0)
        try assertPurged(copy, auditRows: 100)
    }

    func testScriptsRunOnAnImportedDump() throws {
        let dump = "\(harness.root)/nightly.dump"
        XCTAssertEqual(harness.command("pg_dump", ["--format=custom", "--file=\(dump)", "--dbname=\(harness.database)"]).status, 0)
        try harness.write(purge, to: "db/sanitize/purge.sql")
        try profile(scripts: ["db/sanitize/purge.sql"])
        let snapshot = try upload("--from-dump", dump)
        XCTAssertEqual(snapshot.source.dump?.file, "nightly.dump")
        XCTAssertEqual(try harness.databases(), [harness.database], "no scratch database left")
        let copy = harness.prefix + "_copy"
        XCTAssertEqual(harness.dpm("restore", "ug", "--into", copy).status, 0)
        try assertPurged(copy)
    }

    func testAFailingScriptNamesItsFileLineAndMessage() throws {
        try harness.write("-- purge\nDELETE FROM orders WHERE amount > 250;\nDELETE FROM no_such_table;\n", to: "db/sanitize/purge.sql")
        try profile(scripts: ["db/sanitize/purge.sql"])
        try harness.assertRefused(["upload", "ug"], environment: environment,
                                  says: #"The sanitize script db/sanitize/purge.sql failed at line 3: relation "no_such_table" does not exist; nothing was uploaded."#)
        XCTAssertNil(harness.read("profiles/ug/manifest.json"))
        XCTAssertFalse(FileManager.default.fileExists(atPath: "\(harness.store)/snapshots/ug"), "no record")
        XCTAssertEqual(try scratchFolders(), [])
    }

    func testWithoutTheKeyNothingIsLoaded() throws {
        try harness.write(purge, to: "db/sanitize/purge.sql")
        try profile(scripts: ["db/sanitize/purge.sql"])
        try harness.assertRefused(["upload", "ug", "--from-dump", "/nonexistent/nightly.dump"], says: "DPM_SANITIZE_KEY")
    }

    func testAMissingScriptIsRefusedBeforeAnythingIsRead() throws {
        try profile(scripts: ["db/sanitize/missing.sql"])
        try harness.assertRefused(["upload", "ug", "--from-dump", "/nonexistent/nightly.dump"], environment: environment,
                                  says: "profiles/ug/profile.yaml names the sanitize script db/sanitize/missing.sql, which does not exist; nothing was read or uploaded.")
    }

    func testAScriptWithAMetaCommandIsRefused() throws {
        try harness.write("DELETE FROM audit_log;\n\\! touch /tmp/dpm-should-not-exist\n", to: "db/sanitize/purge.sql")
        try profile(scripts: ["db/sanitize/purge.sql"])
        try harness.assertRefused(["upload", "ug"], environment: environment, says: "purge.sql line 2 holds a psql meta-command")
        XCTAssertFalse(FileManager.default.fileExists(atPath: "/tmp/dpm-should-not-exist"))
    }

    private func projectForRecords() throws -> Project {
        Project(root: harness.root, config: ProjectConfig(media: nil))
    }
}
