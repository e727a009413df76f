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
        XCTAssertEqual(harness.dpm("upload", "clean-db", "--from", "dbname=\(source)").status, 0)
        let restore = harness.dpm("restore", "clean-db", "--into", harness.prefix + "_copy", "--json")
        XCTAssertEqual(restore.status, 0, restore.stderr)
        let result = try JSONDecoder().decode(RestoreResult.self, from: Data(restore.stdout.utf8))
        XCTAssertEqual(result.tables, 2)
        XCTAssertEqual(result.rows, 5, "2 in the parent, 3 in the child")
    }
}
