import DatasetKit
import Foundation
import XCTest

/// Every number dpm prints is what happened.
final class CountsTests: XCTestCase {
    private var harness: Harness!

    override func setUpWithError() throws { harness = try Harness() }
    override func tearDown() { harness?.tearDown() }

    /// Rows of an inheritance child are the child's, not its parent's too.
    func testInheritedRowsAreCountedOnce() throws {
        let source = harness.prefix + "_source"
        try harness.psql("CREATE DATABASE \"\(source)\"", in: "postgres")
        try harness.psql("""
            CREATE TABLE events (id int, at date);
            CREATE TABLE events_2026 () INHERITS (events);
            INSERT INTO events VALUES (1, '2025-12-31'), (2, '2025-12-31');
            INSERT INTO events_2026 VALUES (3, '2026-01-01'), (4, '2026-01-02'), (5, '2026-01-03');
            """, in: source)
        let upload = harness.dpm("upload", "clean-db", "--from", "dbname=\(source)")
        XCTAssertEqual(upload.status, 0, upload.stderr)
        XCTAssertTrue(upload.stdout.hasPrefix("Wrote db/migration-base/clean-db/schema.sql and db/migration-base/clean-db/data.sql for clean-db (2 tables, 5 rows, "),
                      upload.stdout)
        let restore = harness.dpm("restore", "clean-db", "--into", harness.prefix + "_copy", "--json")
        XCTAssertEqual(restore.status, 0, restore.stderr)
        let result = try JSONDecoder().decode(RestoreResult.self, from: Data(restore.stdout.utf8))
        XCTAssertEqual(result.tables, 2)
        XCTAssertEqual(result.rows, 5, "2 in the parent, 3 in the child")
    }

    /// The first upload into an empty store reuses nothing, even when two tables hold the same
    /// rows; tables whose rows are left out still count as tables.
    func testFirstUploadReusesNothingAndExcludedDataKeepsItsTables() throws {
        try Fixture.create(in: harness)
        try harness.psql("CREATE TABLE audit_copy (id bigint PRIMARY KEY, entry text); INSERT INTO audit_copy SELECT * FROM audit_log; CREATE TABLE empty_a (x int); CREATE TABLE empty_b (x int)")
        XCTAssertEqual(harness.dpm("profile", "create", "ug", "--kind", "shared").status, 0)
        let first = try JSONDecoder().decode(UploadResult.self, from: Data(harness.dpm("upload", "ug", "--json").stdout.utf8))
        XCTAssertEqual(first.objectsReused, 0, "nothing was in the store")
        XCTAssertGreaterThanOrEqual(first.duplicates, 2, "audit_copy is audit_log's content, empty_b is empty_a's")
        XCTAssertEqual(first.tables, 7)
        XCTAssertEqual(first.rows, 301 + 2000 + 500 + 500 + 2)

        let excluded = try JSONDecoder().decode(UploadResult.self, from: Data(harness.dpm("upload", "ug", "--exclude-table-data", "audit_*", "--json").stdout.utf8))
        XCTAssertEqual(excluded.tables, 7, "their definitions are in the snapshot")
        XCTAssertEqual(excluded.rows, 301 + 2000 + 2)
        XCTAssertLessThanOrEqual(excluded.objectsStored, 1, "at most the dump's table of contents is new (it holds the time in seconds)")
        let summary = harness.dpm("upload", "ug")
        XCTAssertTrue(summary.stdout.contains(" already in the store, 2 with content already in this upload), 7 tables, 3303 rows, "),
                      summary.stdout)
    }
}
