@testable import DatasetKit
import Foundation
import XCTest

/// The pure parts of `dpm rehearse`: what the lock samples add up to, the row counters'
/// difference, and which files and commands are refused before anything is cloned.
final class RehearsalUnitTests: XCTestCase {
    private func sample(_ time: Double, _ locks: [(String, String, String)]) -> LockSampler.Sample {
        LockSampler.Sample(time: time, locks: locks.map { LockSampler.Held(oid: $0.0, name: $0.1, mode: $0.2) })
    }

    func testLockDurationsAreRunsOfSamplesPlusOneInterval() {
        let exclusive = ("1", "public.accounts", "AccessExclusiveLock"), rowLock = ("2", "", "RowExclusiveLock")
        let samples = [
            sample(0.00, []),
            sample(0.05, [exclusive, rowLock]),
            sample(0.10, [exclusive, rowLock]),
            sample(0.15, [exclusive]),
            sample(0.20, []),
            sample(0.25, [exclusive]),
        ]
        let tables = LockSummary.tables(samples, atCommit: [LockSampler.Held(oid: "3", name: "public.orders", mode: "ShareLock")],
                                        interval: 0.05, names: ["2": "app.items"])
        XCTAssertEqual(tables.map(\.table), ["accounts", "app.items", "orders"])
        let accounts = tables[0]
        XCTAssertEqual(accounts.strongest, "AccessExclusiveLock")
        XCTAssertEqual(accounts.modes.count, 1)
        XCTAssertEqual(accounts.modes[0].samples, 4)
        // Two runs: 0.05…0.15 (0.10 + 0.05) and 0.25 alone (0 + 0.05).
        XCTAssertEqual(accounts.modes[0].seconds, 0.20, accuracy: 1e-9)
        XCTAssertEqual(tables[1].modes.map(\.mode), ["RowExclusiveLock"], "named after the change from the clone's catalog")
        XCTAssertEqual(tables[2].modes, [TableLocks.Held(mode: "ShareLock", seconds: 0, samples: 0)], "seen only at the commit")
    }

    func testStrongestModeIsPostgreSQLsOrder() {
        let samples = [sample(0, [("1", "public.t", "ShareUpdateExclusiveLock"), ("1", "public.t", "RowExclusiveLock"),
                                  ("1", "public.t", "ShareLock")])]
        let table = LockSummary.tables(samples, interval: 0.05, names: [:])[0]
        XCTAssertEqual(table.modes.map(\.mode), ["RowExclusiveLock", "ShareUpdateExclusiveLock", "ShareLock"])
        XCTAssertEqual(table.strongest, "ShareLock")
    }

    func testRowChangesAreTheDifferenceOfTheCounters() {
        typealias Counts = RowCounters.Counts
        let before = ["public.orders": Counts(inserted: 10, updated: 2, deleted: 0), "public.idle": Counts(inserted: 5, updated: 0, deleted: 0)]
        let after = ["public.orders": Counts(inserted: 12, updated: 2, deleted: 7), "public.idle": Counts(inserted: 5, updated: 0, deleted: 0),
                     "app.new": Counts(inserted: 3, updated: 0, deleted: 0)]
        XCTAssertEqual(RowCounters.changes(from: before, to: after), [
            TableRowChanges(table: "app.new", inserted: 3, updated: 0, deleted: 0),
            TableRowChanges(table: "orders", inserted: 2, updated: 0, deleted: 7),
        ])
    }

    func testFilesAreReadAndRefusedUpFront() throws {
        let folder = NSTemporaryDirectory() + "rehearsal-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        func write(_ name: String, _ text: String) throws -> String {
            try text.write(toFile: "\(folder)/\(name)", atomically: true, encoding: .utf8)
            return "\(folder)/\(name)"
        }
        let plain = try RehearsalChange.file(try write("a.sql", "UPDATE t SET x = 1;\n"), named: "a.sql")
        XCTAssertEqual(plain.mode, "one transaction")
        let concurrent = try RehearsalChange.file(try write("b.sql", "-- dpm:no-transaction\nCREATE INDEX CONCURRENTLY i ON t (x);\n"), named: "b.sql")
        XCTAssertTrue(concurrent.mode.hasPrefix("without a wrapping transaction"), concurrent.mode)
        let batch = try RehearsalChange.file(try write("c.sql", "-- dpm:batch table=t key=id\nUPDATE t SET x = 1 WHERE id >= :batch_start AND id < :batch_end;\n"), named: "c.sql")
        XCTAssertTrue(batch.isTransform)

        XCTAssertThrowsError(try RehearsalChange.file("\(folder)/missing.sql", named: "missing.sql"))
        XCTAssertThrowsError(try RehearsalChange.file(try write("d.sql", "-- dpm:batch table=t\nUPDATE t SET x = 1;\n"), named: "d.sql"))
        XCTAssertThrowsError(try RehearsalChange.file(try write("e.sql", "BEGIN;\nUPDATE t SET x = 1;\n"), named: "e.sql"))
        XCTAssertThrowsError(try RehearsalChange.file(try write("f.sql", "-- nothing\n"), named: "f.sql"))
    }

    func testCommandsWhoseProgramIsMissingAreRefused() throws {
        XCTAssertNoThrow(try RehearsalChange.command("sh -c true", path: "/usr/bin:/bin", directory: "/"))
        XCTAssertNoThrow(try RehearsalChange.command("FOO=1 anything", path: "/usr/bin:/bin", directory: "/"))
        XCTAssertNoThrow(try RehearsalChange.command("echo hi", path: "", directory: "/"))
        XCTAssertThrowsError(try RehearsalChange.command("no-such-program-here x", path: "/usr/bin:/bin", directory: "/"))
        XCTAssertThrowsError(try RehearsalChange.command("bin/missing", path: "/usr/bin:/bin", directory: "/"))
        XCTAssertThrowsError(try RehearsalChange.command("  ", path: "/usr/bin:/bin", directory: "/"))
    }
}
