import DatasetKit
import Foundation
import XCTest

/// `dpm transform` through the real binary: every row changed exactly once, whatever stops a
/// run, the throttle, refusals, and bad input that changes nothing.
final class TransformTests: XCTestCase {
    private var harness: Harness!

    override func setUpWithError() throws {
        harness = try Harness()
        try harness.psql("CREATE DATABASE \"\(harness.database)\"", in: "postgres")
    }

    override func tearDown() { harness?.tearDown() }

    /// A table whose rows count how often a transform touched them; ids with gaps.
    private func makeItems(_ count: Int, in database: String? = nil) throws {
        try harness.psql("""
            CREATE TABLE items (id bigint PRIMARY KEY, uid uuid NOT NULL UNIQUE DEFAULT gen_random_uuid(), name text NOT NULL UNIQUE,
                                touched int NOT NULL DEFAULT 0, plain int);
            INSERT INTO items (id, name, plain) SELECT i * 3 - (i % 2), 'item ' || i, i FROM generate_series(1, \(count)) i
            """, in: database)
    }

    private func writeTransform(_ name: String, key: String = "id", header extra: String = "", condition: String? = nil) throws -> String {
        let path = "db/transforms/\(name).sql"
        try harness.write("""
            -- db/transforms/\(name).sql
            -- dpm:batch table=public.items key=\(key) \(extra)
            UPDATE items SET touched = touched + 1
             WHERE \(key) >= :batch_start AND \(key) < :batch_end\(condition.map { " AND \($0)" } ?? "");

            """, to: path)
        return path
    }

    private func result(_ run: Harness.Run, file: StaticString = #filePath, line: UInt = #line) throws -> TransformResult {
        XCTAssertEqual(run.status, 0, run.stderr, file: file, line: line)
        return try JSONDecoder().decode(TransformResult.self, from: Data(run.stdout.utf8))
    }

    /// How many rows were touched how often: "1:500" when each of 500 rows was touched once.
    private func touches(in database: String? = nil) throws -> String {
        try harness.psql("SELECT string_agg(touched || ':' || n, ',' ORDER BY touched) FROM (SELECT touched, count(*) n FROM items GROUP BY 1) t",
                         in: database)
    }

    private func progress(_ file: String) throws -> (batches: Int, rows: Int, lastKeyDone: String, finished: Bool) {
        let line = try harness.psql("SELECT batches, rows, coalesce(last_key_done, '-'), finished IS NOT NULL FROM dpm_transform_progress WHERE file = '\(file)'")
        let parts = line.split(separator: "|").map(String.init)
        guard parts.count == 4 else { throw DPMError.internal("no progress row for \(file): \(line)") }
        return (Int(parts[0]) ?? -1, Int(parts[1]) ?? -1, parts[2], parts[3] == "t")
    }

    func testEachKindOfKeyChangesEveryRowExactlyOnce() throws {
        try makeItems(2345)
        for (key, size) in [("id", 500), ("uid", 400), ("name", 333)] {
            try harness.psql("UPDATE items SET touched = 0")
            let file = try writeTransform("by_\(key)", key: key, header: "size=\(size)")
            let summary = try result(harness.dpm("transform", file, "--json"))
            XCTAssertEqual(try touches(), "1:2345", key)
            XCTAssertEqual(summary.rows, 2345, key)
            XCTAssertTrue(summary.finished, key)
            XCTAssertEqual(summary.keyKind, key == "id" ? .integer : key == "uid" ? .uuid : .text)
            XCTAssertNil(summary.resumedFrom)
            let recorded = try progress(file)
            XCTAssertEqual(recorded.rows, 2345, key)
            XCTAssertEqual(recorded.batches, Int(summary.batches), key)
            XCTAssertTrue(recorded.finished, key)
            if key == "id" {
                // Ids run from 2 to 7034: ranges of 500 values, the last one ending after the largest id.
                XCTAssertEqual(summary.batches, 15)
                XCTAssertEqual(recorded.lastKeyDone, "7035")
            } else {
                // uuid and text keys: runs of `size` keys, the last one open-ended.
                XCTAssertEqual(Int(summary.batches), (2345 + size - 1) / size, key)
            }
        }
        let text = harness.dpm("transform", "db/transforms/by_id.sql", "--again")
        XCTAssertEqual(text.status, 0, text.stderr)
        XCTAssertEqual(text.stdout, "Finished db/transforms/by_id.sql in \(harness.database): 15 batches, 2345 rows changed in "
                       + text.stdout.split(separator: " ")[10...].joined(separator: " "))
        XCTAssertTrue(text.stdout.hasSuffix("; run again (--again).\n"), text.stdout)
    }

    func testKeysSharedByMoreRowsThanABatchAndAnEmptyTable() throws {
        try makeItems(1000)
        try harness.psql("ALTER TABLE items ADD grp text; UPDATE items SET grp = 'g' || (plain % 3); CREATE INDEX ON items (grp)")
        let shared = try result(harness.dpm("transform", try writeTransform("groups", key: "grp", header: "size=100"), "--json"))
        XCTAssertEqual(shared.batches, 3, "a batch takes every row of its start key")
        XCTAssertEqual(try touches(), "1:1000")

        // A case-insensitive (nondeterministic) collation: "Name 1" and "name 1" are one key.
        try harness.psql("""
            CREATE COLLATION ci (provider = icu, locale = 'und-u-ks-level2', deterministic = false);
            ALTER TABLE items ADD label text COLLATE ci; UPDATE items SET label = CASE WHEN plain % 2 = 0 THEN 'Name ' ELSE 'name ' END || (plain % 40);
            CREATE INDEX ON items (label); UPDATE items SET touched = 0
            """)
        let folded = try result(harness.dpm("transform", try writeTransform("labels", key: "label", header: "size=10"), "--json"))
        XCTAssertEqual(folded.batches, 40, "each batch takes one key's 25 rows, both spellings")
        XCTAssertEqual(try touches(), "1:1000")

        try harness.psql("DELETE FROM items")
        let file = try writeTransform("empty")
        let empty = try result(harness.dpm("transform", file, "--json"))
        XCTAssertEqual(empty.batches, 0)
        XCTAssertTrue(empty.finished)
        XCTAssertTrue(try progress(file).finished)
        XCTAssertNotEqual(harness.dpm("transform", file).status, 0, "finished, so refused")
    }

    func testKilledAtSeveralMomentsItResumesAndChangesEachRowOnce() throws {
        try makeItems(1000)
        let file = try writeTransform("fill", header: "size=100")
        // Killed after batch 3's statement ran, before its commit: batch 3 is not done.
        let beforeCommit = harness.dpm("transform", file, environment: ["DPM_STOP_AT": "transform.batch-3.ran"])
        XCTAssertEqual(beforeCommit.status, SIGKILL, beforeCommit.stderr)
        var recorded = try progress(file)
        XCTAssertEqual(recorded.batches, 2)
        XCTAssertEqual(recorded.rows, Int(try harness.psql("SELECT count(*) FROM items WHERE touched = 1")))
        XCTAssertEqual(try harness.psql("SELECT count(*) FROM items WHERE touched > 0 AND id >= \(recorded.lastKeyDone)"), "0")
        XCTAssertFalse(recorded.finished)

        // Killed right after batch 6 committed.
        let afterCommit = harness.dpm("transform", file, environment: ["DPM_STOP_AT": "transform.batch-6.committed"])
        XCTAssertEqual(afterCommit.status, SIGKILL, afterCommit.stderr)
        XCTAssertTrue(afterCommit.stderr.contains("Resuming \(file) in \(harness.database) after 2 batches"), afterCommit.stderr)
        recorded = try progress(file)
        XCTAssertEqual(recorded.batches, 6)
        XCTAssertEqual(try touches(), "0:\(1000 - recorded.rows),1:\(recorded.rows)")

        // Killed from outside while a batch sleeps in its statement.
        let sleepy = try writeTransform("fill", header: "size=100", condition: "(SELECT true FROM pg_sleep(0.3))")
        let running = try launch(["transform", sleepy])
        try waitUntil("batch 7 committed") { try self.progress(file).batches >= 7 }
        let second = harness.dpm("transform", sleepy)
        XCTAssertNotEqual(second.status, 0, "one run of a file at a time")
        XCTAssertTrue(second.stderr.contains("is running \(file) in \(harness.database): a dpm transform still going"), second.stderr)
        try waitUntil("batch 8 committed") { try self.progress(file).batches >= 8 }
        kill(running.processIdentifier, SIGKILL)
        running.waitUntilExit()
        recorded = try progress(file)
        XCTAssertLessThan(recorded.batches, 30, "killed before the end (ids up to 3000 in ranges of 100)")
        XCTAssertEqual(try touches(), "0:\(1000 - recorded.rows),1:\(recorded.rows)")
        // Run again at once: the killed run's backend still holds the lock until PostgreSQL
        // notices the closed connection (within about a second), and the new run waits for it.

        // Ctrl-C (SIGINT) in the middle of a batch.
        let interrupted = try launch(["transform", sleepy])
        try waitUntil("batch 9 committed") { try self.progress(file).batches >= 9 }
        Thread.sleep(forTimeInterval: 0.1)
        kill(interrupted.processIdentifier, SIGINT)
        interrupted.waitUntilExit()
        XCTAssertNotEqual(interrupted.terminationStatus, 0)
        recorded = try progress(file)
        XCTAssertFalse(recorded.finished, "interrupted before the end")
        XCTAssertEqual(try touches(), "0:\(1000 - recorded.rows),1:\(recorded.rows)")

        // The rest without the sleep (a file may change between runs; its progress stays).
        _ = try writeTransform("fill", header: "size=100")
        let resumed = try result(harness.dpm("transform", file, "--json"))
        XCTAssertEqual(resumed.resumedFrom, recorded.lastKeyDone)
        XCTAssertTrue(resumed.finished)
        XCTAssertEqual(resumed.totalRows, 1000)
        XCTAssertEqual(resumed.rows, Int64(1000 - recorded.rows))
        XCTAssertEqual(try touches(), "1:1000", "every row changed exactly once over five runs")
        XCTAssertEqual(try progress(file).rows, 1000)
    }

    func testTheThrottleKeepsTheRateAndThePauseIsSlept() throws {
        try makeItems(1500)
        let file = try writeTransform("throttled", header: "size=100")
        let throttled = try result(harness.dpm("transform", file, "--max-rows-per-second", "3000", "--json"))
        XCTAssertEqual(throttled.rows, 1500)
        // 1500 rows at 3000 rows/s: half a second at least, the rate measured over the whole run.
        XCTAssertGreaterThanOrEqual(throttled.seconds, 0.5)
        XCTAssertLessThanOrEqual(throttled.rowsPerSecond, 3000)
        XCTAssertGreaterThan(throttled.rowsPerSecond, 3000 * 0.7, "throttled, not stalled")

        try harness.psql("UPDATE items SET touched = 0")
        let paused = try result(harness.dpm("transform", file, "--again", "--pause", "100ms", "--size", "500", "--json"))
        XCTAssertEqual(paused.batches, 9, "ids up to 4501 in ranges of 500")
        XCTAssertGreaterThanOrEqual(paused.seconds, 0.8, "8 pauses of 100 ms between 9 batches")
        XCTAssertEqual(try touches(), "1:1500")
    }

    func testAFinishedTransformRefusesToRunAgainUnlessAgain() throws {
        try makeItems(300)
        // Ids up to 900 in ranges of 100: 9 batches.
        let file = try writeTransform("once", header: "size=100")
        XCTAssertEqual(harness.dpm("transform", file).status, 0)
        let before = try harness.contentDigest()
        let refused = harness.dpm("transform", file)
        XCTAssertNotEqual(refused.status, 0)
        XCTAssertTrue(refused.stderr.hasPrefix("error: \(file) finished in \(harness.database) at "), refused.stderr)
        XCTAssertTrue(refused.stderr.hasSuffix("(9 batches, 300 rows); add --again to run it once more.\n"), refused.stderr)
        XCTAssertEqual(try harness.contentDigest(), before, "the refusal changed nothing")

        let elsewhere = harness.dpm(["transform", "../db/transforms/once.sql"], in: harness.root + "/db")
        XCTAssertTrue(elsewhere.stderr.contains("error: \(file) finished in"), "the same file from a subfolder: \(elsewhere.stderr)")

        let again = try result(harness.dpm("transform", file, "--again", "--json"))
        XCTAssertTrue(again.again)
        XCTAssertEqual(again.rows, 300)
        XCTAssertEqual(try touches(), "2:300")
        XCTAssertEqual(try progress(file).batches, 9, "--again starts the count over")
    }

    func testAFailedBatchKeepsTheEarlierOnesAndTheRunResumesAtIt() throws {
        try makeItems(1000)
        // Ids 2, 6, 8, 12, 14, …: batches [2, 502), [504, 1004), [1004, 1504), …; id 1004 fails.
        try harness.psql("CREATE FUNCTION check_item(i bigint) RETURNS boolean LANGUAGE sql AS 'SELECT 1 / (i - 1004) IS NOT NULL'")
        let file = try writeTransform("fails", header: "size=500", condition: "check_item(id)")
        let failed = harness.dpm("transform", file)
        XCTAssertNotEqual(failed.status, 0)
        XCTAssertEqual(failed.stderr, "error: Batch 3 of \(file) (:batch_start = 1004, :batch_end = 1504) failed in \(harness.database) and was rolled back: "
                       + "division by zero; the 2 batches before it stay committed (334 rows), and running it again resumes at this batch.\n")
        XCTAssertEqual(try progress(file).batches, 2)
        XCTAssertEqual(try touches(), "0:666,1:334")

        // Resuming another walk than the one recorded is refused.
        let before = try harness.contentDigest()
        _ = try writeTransform("fails", key: "uid", header: "size=500", condition: "check_item(id)")
        let otherKey = harness.dpm("transform", file)
        XCTAssertNotEqual(otherKey.status, 0)
        XCTAssertTrue(otherKey.stderr.contains("stopped in \(harness.database) after 2 batches walking public.items by id, and now names public.items by uid"),
                      otherKey.stderr)
        XCTAssertEqual(try harness.contentDigest(), before)
        _ = try writeTransform("fails", header: "size=500", condition: "check_item(id)")

        try harness.psql("CREATE OR REPLACE FUNCTION check_item(i bigint) RETURNS boolean LANGUAGE sql AS 'SELECT true'")
        let resumed = try result(harness.dpm("transform", file, "--json"))
        XCTAssertEqual(resumed.resumedFrom, "1004")
        XCTAssertEqual(try touches(), "1:1000")
    }

    func testDbRunsInTheDatabaseNamedAndTheWorkingOneIsUntouched() throws {
        let other = harness.prefix + "_other"
        try harness.psql("CREATE DATABASE \"\(other)\"", in: "postgres")
        try makeItems(200, in: other)
        try makeItems(200)
        let working = try harness.contentDigest()
        let file = try writeTransform("elsewhere", header: "size=50")
        let summary = try result(harness.dpm("transform", file, "--db", other, "--json"))
        XCTAssertEqual(summary.database, other)
        XCTAssertEqual(try touches(in: other), "1:200")
        XCTAssertEqual(try harness.contentDigest(), working)
    }

    func testAKeyWithoutAnIndexIsAWarningAndTheRunGoesOn() throws {
        try makeItems(250)
        let file = try writeTransform("unindexed", key: "plain", header: "size=100")
        let run = harness.dpm("transform", file, "--json")
        XCTAssertEqual(try result(run).rows, 250)
        XCTAssertTrue(run.stderr.contains("warning: public.items has no index on plain, so each batch scans the table."), run.stderr)
        XCTAssertTrue(try result(run).unindexedKey)
    }

    func testEachBadInputIsOneSentenceAndChangesNothing() throws {
        try makeItems(100)
        try harness.psql("CREATE TABLE events (at timestamptz PRIMARY KEY)")
        let statement = "UPDATE items SET touched = touched + 1 WHERE id >= :batch_start AND id < :batch_end;"
        let cases: [(String, String)] = [
            ("UPDATE items SET touched = 1;", "has no \"-- dpm:batch table=<table> key=<column>\" line"),
            ("-- dpm:batch table=items\n\(statement)", "the -- dpm:batch line lacks key="),
            ("-- dpm:batch table=items key=id colour=red\n\(statement)", "the -- dpm:batch line has the unknown setting colour="),
            ("-- dpm:batch table=items key=id size=many\n\(statement)", "size=many in the -- dpm:batch line is not a batch size"),
            ("-- dpm:batch table=items key=id\nUPDATE items SET touched = 1 WHERE id >= :batch_start;", "does not use :batch_end"),
            ("-- dpm:batch table=items key=id\nUPDATE items SET touched = 1;", "does not use :batch_start and :batch_end"),
            ("-- dpm:batch table=nowhere key=id\n\(statement)", "names the table nowhere, which \(harness.database) does not have"),
            ("-- dpm:batch table=items key=nokey\n\(statement)", "names the key column nokey, which public.items in \(harness.database) does not have"),
            ("-- dpm:batch table=events key=at\nUPDATE events SET at = at WHERE at >= :batch_start AND at < :batch_end;",
             "The key column at of public.events is timestamp with time zone; dpm transform walks integer, uuid and text keys"),
            ("-- dpm:batch table=items key=id\nUPDATE items SET nothing = 1 WHERE id >= :batch_start AND id < :batch_end;",
             "statement does not run in \(harness.database): column \"nothing\" of relation \"items\" does not exist"),
            ("-- dpm:batch table=items key=id\n\(statement) DELETE FROM items;",
             "statement does not run in \(harness.database): cannot insert multiple commands into a prepared statement"),
        ]
        let before = try harness.contentDigest()
        for (text, expected) in cases {
            try harness.write(text, to: "db/transforms/bad.sql")
            let run = harness.dpm("transform", "db/transforms/bad.sql")
            XCTAssertNotEqual(run.status, 0, text)
            XCTAssertTrue(run.stderr.contains(expected), "\(text): \(run.stderr)")
            XCTAssertEqual(run.stderr.filter { $0 == "\n" }.count, 1, "one line: \(run.stderr)")
            XCTAssertTrue(run.stderr.hasPrefix("error: ") && run.stderr.hasSuffix(".\n"), run.stderr)
        }
        for arguments in [["--size", "0"], ["--pause", "soon"], ["--db", harness.prefix + "_missing"]] {
            let run = harness.dpm(["transform", try writeTransform("good")] + arguments)
            XCTAssertNotEqual(run.status, 0, "\(arguments)")
            XCTAssertEqual(run.stderr.filter { $0 == "\n" }.count, 1, "one line: \(run.stderr)")
        }
        XCTAssertNotEqual(harness.dpm("transform", "db/transforms/absent.sql").status, 0)
        XCTAssertEqual(try harness.contentDigest(), before, "no bad input changed the database (no progress table either)")
    }

    func testOnATerminalItShowsRateAndTimeLeftAndLeavesOnlyTheSummary() throws {
        try makeItems(600)
        // Ids up to 1800 in ranges of 300: 6 batches, 5 pauses.
        let file = try writeTransform("shown", header: "size=300 pause=150ms")
        let run = harness.onTerminal(["transform", file])
        XCTAssertEqual(run.status, 0, run.stdout)
        let (lines, redraws) = Harness.screen(run.stdout)
        XCTAssertTrue(redraws.contains { $0.hasPrefix("Transform: ") && $0.contains(" rows/s") && $0.contains(" left") }, "\(redraws)")
        XCTAssertEqual(lines.filter { !$0.isEmpty }.count, 1, "\(lines)")
        XCTAssertTrue(lines.contains { $0.hasPrefix("Finished \(file) in \(harness.database): 6 batches, 600 rows changed in ") }, "\(lines)")
    }

    // MARK: - helpers

    private func launch(_ arguments: [String]) throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Harness.binary)
        process.arguments = arguments
        process.currentDirectoryURL = URL(fileURLWithPath: harness.root)
        process.environment = ProcessInfo.processInfo.environment.merging(["DPM_REFILL": "off"]) { $1 }
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        return process
    }

    private func waitUntil(_ what: String, seconds: Double = 20, _ condition: () throws -> Bool) throws {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if (try? condition()) == true { return }
            Thread.sleep(forTimeInterval: 0.05)
        }
        XCTFail("\(what) did not happen within \(Int(seconds)) s")
        throw DPMError.interrupted("gave up waiting for \(what)")
    }
}
