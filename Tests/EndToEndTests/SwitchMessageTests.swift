import DatasetKit
import Foundation
import XCTest

/// What use, undo and attach tell a new user is what happened.
final class SwitchMessageTests: XCTestCase {
    private var harness: Harness!

    override func setUpWithError() throws {
        harness = try Harness()
        try Fixture.create(in: harness, database: harness.prefix + "_source")
        XCTAssertEqual(harness.dpm("profile", "create", "ug", "--kind", "shared").status, 0)
        let upload = harness.dpm("upload", "ug", "--from", "dbname=\(harness.prefix)_source")
        XCTAssertEqual(upload.status, 0, upload.stderr)
    }

    override func tearDown() { harness?.tearDown() }

    func testUndoAfterTheFirstUseSaysUseCreatedTheDatabase() throws {
        XCTAssertEqual(harness.dpm("use", "ug").status, 0)
        let undo = harness.dpm("undo")
        XCTAssertEqual(undo.status, 1)
        XCTAssertTrue(undo.stderr.hasPrefix("error: Nothing to undo: there is no stash of \(harness.database), because dpm use created it with ug "), undo.stderr)
        XCTAssertTrue(undo.stderr.hasSuffix("to have no working database again, drop \(harness.database) yourself (dpm never drops a working database).\n"), undo.stderr)
    }

    func testUndoSaysItBroughtBackLocalWorkNotTheSnapshot() throws {
        XCTAssertEqual(harness.dpm("use", "ug").status, 0)
        try harness.psql("INSERT INTO audit_log (entry) VALUES ('my work'); UPDATE accounts SET name = 'mine' WHERE id = 1")
        XCTAssertEqual(harness.dpm("use", "clean-db").status, 0)
        let undo = harness.dpm("undo")
        XCTAssertEqual(undo.status, 0, undo.stderr)
        XCTAssertTrue(undo.stdout.hasPrefix("Restored \(harness.database) to your work on ug "), undo.stdout)
        XCTAssertTrue(undo.stdout.contains(" (2 tables written since it was switched in) (renamed the stash back)"), undo.stdout)
        let result = try JSONDecoder().decode(SwitchResult.self, from: Data(harness.dpm("undo", "--json").stdout.utf8))
        XCTAssertEqual(result.profile, "clean-db")
        XCTAssertEqual(result.tablesWritten, 0, "the clean-db clone was not written to")
    }

    func testAttachNameKeepsTheDatabaseNameWhenBothAreLong() throws {
        // A working database name of 45 bytes and a profile of 24: both stay readable.
        let working = harness.prefix + "_enterprise_billing_platform"
        try harness.write("database: \"dbname=\(working)\"\nstore: \"file:.dpm/store\"\n", to: "dpm.yaml")
        XCTAssertEqual(harness.dpm("profile", "create", "customer-acme-corporation", "--kind", "customer").status, 0)
        XCTAssertEqual(harness.dpm("upload", "customer-acme-corporation", "--from", "dbname=\(harness.prefix)_source").status, 0)
        let attach = harness.dpm("attach", "customer-acme-corporation", "--json")
        XCTAssertEqual(attach.status, 0, attach.stderr)
        let name = try JSONDecoder().decode(AttachedInfo.self, from: Data(attach.stdout.utf8)).database
        XCTAssertLessThanOrEqual(name.utf8.count, 63)
        XCTAssertTrue(name.hasPrefix(String(working.prefix(27))) && name.contains("__customer-acme-corp"), "at least half the room each: \(name)")
        XCTAssertEqual(harness.dpm("detach", "customer-acme-corporation").status, 0)
    }
}
