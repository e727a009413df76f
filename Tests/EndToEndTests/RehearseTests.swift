import DatasetKit
import Foundation
import XCTest

/// `dpm rehearse` through the real binary: the report's numbers against what the change really
/// did, failures, the kinds of change, --keep, and bad input that changes nothing.
final class RehearseTests: XCTestCase {
    private var harness: Harness!
    private var workingDigest = ""

    override func setUpWithError() throws {
        harness = try Harness()
        try Fixture.create(in: harness)
        for profile in ["ug", "acme"] {
            harness.dpm("profile", "create", profile, "--kind", "shared")
            let upload = harness.dpm("upload", profile)
            XCTAssertEqual(upload.status, 0, upload.stderr)
        }
        // The working database differs from the snapshots: a rehearsal must not read or change it.
        try harness.psql("INSERT INTO audit_log (entry) VALUES ('local work')")
        workingDigest = try harness.contentDigest()
    }

    override func tearDown() { harness?.tearDown() }

    private func rehearse(_ arguments: String..., expectStatus: Int32 = 0,
                          file: StaticString = #filePath, line: UInt = #line) throws -> RehearsalReport {
        let run = harness.dpm(["rehearse"] + arguments + ["--json"])
        XCTAssertEqual(run.status, expectStatus, run.stderr, file: file, line: line)
        return try JSONDecoder().decode(RehearsalReport.self, from: Data(run.stdout.utf8))
    }

    /// Databases beside the working one other than its templates and spares: a rehearsal leaves none.
    private func scratchDatabases() throws -> [String] {
        try harness.databases().filter { $0 != harness.database && !$0.contains("__tpl_") && !$0.contains("__spare_") }
    }

    func testReportsRowsLocksAndSchemaOnEveryProfileWithoutTouchingTheWorkingDatabase() throws {
        try harness.write("""
            UPDATE orders SET note = 'fixed' WHERE id <= 100;
            DELETE FROM audit_log WHERE id <= 50;
            INSERT INTO audit_log (entry) SELECT 'new ' || i FROM generate_series(1, 7) i;
            LOCK TABLE accounts IN ACCESS EXCLUSIVE MODE;
            SELECT pg_sleep(0.5);
            ALTER TABLE accounts ADD COLUMN flagged boolean;

            """, to: "db/fixes/fix.sql")
        // clean-db is included (its files are in git), and its empty schema has no orders: a failure, exit 1.
        let report = try rehearse("db/fixes/fix.sql", expectStatus: 1)
        XCTAssertEqual(report.mode, "one transaction")
        XCTAssertEqual(report.profiles.map(\.profile).sorted(), ["acme", "clean-db", "ug"], "every profile with a snapshot")
        let clean = try XCTUnwrap(report.profiles.first { $0.profile == "clean-db" }?.failure)
        XCTAssertEqual(clean.line, 1)
        XCTAssertEqual(clean.message, "relation \"orders\" does not exist")
        for profile in report.profiles where profile.profile != "clean-db" {
            XCTAssertNil(profile.failure)
            let rows = Dictionary(uniqueKeysWithValues: profile.rows.map { ($0.table, $0) })
            XCTAssertEqual(rows["orders"], TableRowChanges(table: "orders", inserted: 0, updated: 100, deleted: 0))
            XCTAssertEqual(rows["audit_log"], TableRowChanges(table: "audit_log", inserted: 7, updated: 0, deleted: 50))
            XCTAssertEqual(Set(rows.keys), ["orders", "audit_log"], "\(profile.rows)")

            let accounts = try XCTUnwrap(profile.locks.first { $0.table == "accounts" }, "\(profile.locks)")
            XCTAssertEqual(accounts.strongest, "AccessExclusiveLock")
            let exclusive = try XCTUnwrap(accounts.modes.first { $0.mode == "AccessExclusiveLock" })
            XCTAssertGreaterThanOrEqual(exclusive.seconds, 0.4, "held for pg_sleep(0.5)")
            XCTAssertLessThan(exclusive.seconds, 2.0)
            XCTAssertEqual(profile.lockSamplingInterval, 0.05)
            XCTAssertGreaterThanOrEqual(profile.lockSamples, 8)
            XCTAssertEqual(profile.locks.first { $0.table == "orders" }?.strongest, "RowExclusiveLock")
            XCTAssertGreaterThanOrEqual(profile.seconds, 0.5)

            let diff = try XCTUnwrap(profile.schemaDiff)
            XCTAssertTrue(diff.contains("+    flagged boolean"), diff)
            XCTAssertFalse(profile.kept)
        }
        XCTAssertEqual(try harness.contentDigest(), workingDigest, "the working database is never touched")
        XCTAssertEqual(try scratchDatabases(), [], "the clones are dropped")

        let text = harness.dpm("rehearse", "db/fixes/fix.sql", "--on", "ug")
        XCTAssertEqual(text.status, 0, text.stderr)
        XCTAssertTrue(text.stdout.contains("accounts: strongest ACCESS EXCLUSIVE"), text.stdout)
        XCTAssertTrue(text.stdout.contains("audit_log: 7 / 0 / 50"), text.stdout)
        XCTAssertFalse(text.stdout.contains("acme"), "--on limits the profiles")
    }

    func testAFailingStatementIsReportedWithItsLineAndNothingOfTheFileStays() throws {
        try harness.write("""
            -- a fix with a typo
            UPDATE orders SET note = 'fixed' WHERE id <= 10;

            UPDATE orders
               SET nope = 1;

            """, to: "fix.sql")
        let report = try rehearse("fix.sql", "--on", "ug", "--keep", expectStatus: 1)
        XCTAssertTrue(report.failed)
        let profile = try XCTUnwrap(report.profiles.first)
        let failure = try XCTUnwrap(profile.failure)
        XCTAssertEqual(failure.file, "fix.sql")
        XCTAssertEqual(failure.line, 4)
        XCTAssertTrue(failure.message.contains("column \"nope\" of relation \"orders\" does not exist"), failure.message)
        // Kept: the transaction was rolled back, so the clone holds the snapshot as it was.
        XCTAssertTrue(profile.kept)
        XCTAssertEqual(try harness.psql("SELECT count(*) FROM orders WHERE note = 'fixed'", in: profile.database), "0")
        XCTAssertEqual(try harness.contentDigest(), workingDigest)

        let detach = harness.dpm("detach", profile.database)
        XCTAssertEqual(detach.status, 0, detach.stderr)
        XCTAssertEqual(try scratchDatabases(), [])
    }

    func testNoTransactionFilesCommitStatementByStatement() throws {
        try harness.write("""
            -- dpm:no-transaction
            CREATE INDEX CONCURRENTLY orders_note ON orders (note);
            DELETE FROM audit_log WHERE id <= 5;
            SELECT missing_function();

            """, to: "concurrent.sql")
        let report = try rehearse("concurrent.sql", "--on", "ug", "--keep", expectStatus: 1)
        XCTAssertTrue(report.mode.hasPrefix("without a wrapping transaction"), report.mode)
        let profile = try XCTUnwrap(report.profiles.first)
        XCTAssertEqual(profile.failure?.line, 4)
        XCTAssertEqual(profile.rows, [TableRowChanges(table: "audit_log", inserted: 0, updated: 0, deleted: 5)])
        XCTAssertTrue(profile.schemaDiff?.contains("orders_note") == true, profile.schemaDiff ?? "no diff")
        XCTAssertEqual(try harness.psql("SELECT count(*) FROM audit_log WHERE id <= 5", in: profile.database), "0", "the DELETE committed")
        let uri = try XCTUnwrap(profile.uri)
        XCTAssertTrue(uri.contains(profile.database), uri)
        XCTAssertEqual(harness.dpm("detach", "--all").status, 0)
        XCTAssertEqual(try scratchDatabases(), [])
    }

    func testACommandRunsAgainstTheCloneAndATransformIsEstimated() throws {
        let report = try rehearse("--command", "psql -X -q -c \"UPDATE accounts SET balance = 0 WHERE id <= 30\" && test \"$PGDATABASE\" != \"\(harness.database)\"",
                                  "--on", "acme")
        let profile = try XCTUnwrap(report.profiles.first)
        XCTAssertNil(profile.failure)
        XCTAssertEqual(profile.rows, [TableRowChanges(table: "accounts", inserted: 0, updated: 30, deleted: 0)])
        XCTAssertNil(profile.schemaDiff)

        let failing = try rehearse("--command", "echo about to fail; exit 3", "--on", "acme", expectStatus: 1)
        XCTAssertTrue(failing.profiles.first?.failure?.message.contains("exit code 3") == true, "\(String(describing: failing.profiles.first?.failure))")

        try harness.write("""
            -- dpm:batch table=public.orders key=id size=300
            UPDATE orders SET note = 'batched' WHERE id >= :batch_start AND id < :batch_end;

            """, to: "db/transforms/notes.sql")
        let transform = try rehearse("db/transforms/notes.sql", "--on", "ug")
        let run = try XCTUnwrap(transform.profiles.first)
        XCTAssertNil(run.failure)
        XCTAssertEqual(run.transform?.rows, 2000)
        XCTAssertEqual(run.rows, [TableRowChanges(table: "orders", inserted: 0, updated: 2000, deleted: 0)],
                       "dpm's own progress table is left out")
        XCTAssertNil(run.schemaDiff, "dpm's own progress table is left out")
        let estimate = try XCTUnwrap(run.estimate)
        XCTAssertEqual(estimate.snapshotRows, 2000)
        XCTAssertEqual(estimate.cloneRows, 2000)
        XCTAssertEqual(try harness.contentDigest(), workingDigest)
        XCTAssertEqual(try harness.psql("SELECT count(*) FROM pg_tables WHERE tablename = 'dpm_transform_progress'"), "0")
        XCTAssertEqual(try scratchDatabases(), [])
    }

    func testAKilledRehearsalsCloneIsDroppedByTheNext() throws {
        try harness.write("DELETE FROM audit_log WHERE id <= 3;\n", to: "fix.sql")
        let killed = harness.dpm("rehearse", "fix.sql", "--on", "ug", environment: ["DPM_STOP_AT": "rehearse.change-ran"])
        XCTAssertEqual(killed.status, SIGKILL, killed.stderr)
        let left = try scratchDatabases()
        XCTAssertEqual(left.count, 1, "\(left)")
        XCTAssertTrue(left.first?.contains("__dpm_rehearse_") == true, "\(left)")
        let cleanup = harness.dpm("cleanup", "--dry-run")
        XCTAssertTrue(cleanup.stdout.contains("killed dpm rehearse"), cleanup.stdout + cleanup.stderr)

        let report = try rehearse("fix.sql", "--on", "ug")
        XCTAssertEqual(report.profiles.first?.rows, [TableRowChanges(table: "audit_log", inserted: 0, updated: 0, deleted: 3)])
        // Too quick for the samples, perhaps; but a one-transaction file's locks are read at its commit too.
        XCTAssertEqual(report.profiles.first?.locks.map(\.table), ["audit_log"])
        XCTAssertEqual(report.profiles.first?.locks.first?.strongest, "RowExclusiveLock")
        XCTAssertEqual(try scratchDatabases(), [], "the killed run's clone is gone too")
        XCTAssertEqual(try harness.contentDigest(), workingDigest)
    }

    func testBadInputIsOneSentenceAndChangesNothing() throws {
        try harness.write("SELECT 1;\n", to: "ok.sql")
        harness.dpm("profile", "create", "empty", "--kind", "shared")
        let before = try harness.databases()
        let cases: [([String], String)] = [
            (["ok.sql", "--on", "nobody"], "nobody"),
            (["ok.sql", "--on", "empty"], "has no snapshot"),
            (["missing.sql"], "There is no file missing.sql"),
            (["ok.sql", "--command", "true"], "not both"),
            ([], "Give the SQL file"),
            (["--command", "no-such-program --flag"], "no-such-program is not found"),
            (["--command", "./bin/nothing"], "does not exist"),
        ]
        for (arguments, expected) in cases {
            let run = harness.dpm(["rehearse"] + arguments)
            XCTAssertNotEqual(run.status, 0, "\(arguments)")
            XCTAssertTrue(run.stderr.contains(expected), "\(arguments): \(run.stderr)")
            XCTAssertEqual(run.stdout, "", "\(arguments)")
        }
        XCTAssertEqual(try harness.databases(), before, "nothing was cloned")
        XCTAssertEqual(try harness.contentDigest(), workingDigest)
    }
}
