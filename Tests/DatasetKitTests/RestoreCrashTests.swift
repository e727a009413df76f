@testable import DatasetKit
import Foundation
import XCTest

/// A kill at every checkpoint of `restore --force` into the working database (or into a new
/// one), then the repair every next dpm command runs first: the target holds its old or its
/// new content with the matching media, and nothing of the restore's work is left but what
/// dpm cleanup removes.
final class RestoreCrashTests: XCTestCase {
    typealias F = LocalFixture
    let a = F.content("ug", F.snapshotA), b = F.content("ug", F.snapshotB)

    private func crashRestore(at step: String, expected: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let fixture = try F()
        try fixture.use("ug")
        try fixture.work()
        // restore --force replaces the working database's content on purpose: only templates must survive.
        let before = fixture.catalog.committed().filter { $0.value.isTemplate }
        fixture.crash(at: step, file: file, line: line) { try fixture.restore("ug", F.snapshotB) }
        try fixture.nextCommandRepairs()
        try fixture.assertConsistent(before: before, working: [expected], file: file, line: line)
        if expected == a {
            XCTAssertEqual(fixture.catalog[F.working]?.tablesWritten, ["orders"], "the work is kept", file: file, line: line)
        } else {
            XCTAssertEqual(LocalState.load(fixture.names).active?.snapshot, F.snapshotB, file: file, line: line)
        }
        try fixture.restore("ug", F.snapshotC)
        try fixture.assertConsistent(before: before, working: [F.content("ug", F.snapshotC)], file: file, line: line)
    }

    func testRestoreKilledBeforeTheSwap() throws {
        try crashRestore(at: "restore.before-swap", expected: a)
    }

    func testRestoreKilledInsideTheSwapTransaction() throws {
        try crashRestore(at: "restore.between-renames", expected: a)
    }

    func testRestoreKilledAfterTheSwapBeforeTheMedia() throws {
        try crashRestore(at: "restore.after-swap", expected: b)
    }

    func testRestoreKilledBeforeDroppingThePreviousContent() throws {
        try crashRestore(at: "restore.before-drop", expected: b)
    }

    func testRestoreIntoANewDatabaseKilledAtEveryStep() throws {
        for (step, exists) in [("restore.before-swap", false), ("restore.after-swap", true), ("restore.before-drop", true)] {
            let fixture = try F()
            try fixture.use("ug")
            let before = fixture.catalog.committed()
            fixture.crash(at: step) { try fixture.restore("ug", F.snapshotB, into: "reports", force: false) }
            try fixture.nextCommandRepairs()
            XCTAssertEqual(fixture.catalog["reports"]?.content, exists ? b : nil, step)
            try fixture.assertConsistent(before: before, working: [a], others: ["reports"])
        }
    }

    /// An older dpm swapped by two renames: killed between them, the working database was
    /// missing and its only copy was `<db>__dpm_old_<hex>`. The next command renames it back.
    func testHalfDoneSwapOfAnOlderDPMIsRenamedBack() throws {
        let fixture = try F(media: false)
        try fixture.use("ug")
        try fixture.work()
        let before = fixture.catalog.committed()
        // Older versions did not label databases.
        let old = DatabaseNames.temporary(beside: F.working, purpose: "old")
        try fixture.catalog.setComment(nil, on: F.working)
        try fixture.catalog.renameDatabase(F.working, to: old)
        XCTAssertEqual(try InterruptedRestores(server: fixture.catalog, stateDirectory: fixture.project.stateDirectory, note: { _ in })
            .halfDoneSwaps(), [.init(target: F.working, candidates: [old])])
        try fixture.nextCommandRepairs()
        XCTAssertNil(fixture.catalog[old])
        XCTAssertEqual(fixture.catalog[F.working]?.tablesWritten, ["orders"])
        try fixture.assertConsistent(before: before, working: [a])
    }

    /// With two candidates dpm cannot tell which is the only copy: it renames nothing, and
    /// cleanup keeps both (saying how to rename one back).
    func testHalfDoneSwapWithTwoCandidatesIsLeftToTheUser() throws {
        let fixture = try F(media: false)
        try fixture.use("ug")
        let first = DatabaseNames.temporary(beside: F.working, purpose: "old")
        try fixture.catalog.setComment(nil, on: F.working)
        try fixture.catalog.renameDatabase(F.working, to: first)
        fixture.catalog.add(DatabaseNames.temporary(beside: F.working, purpose: "old"), .init(content: "someone's"))
        try fixture.nextCommandRepairs()
        XCTAssertNil(fixture.catalog[F.working])
        let kept = try Cleanup(local: try fixture.local()).run(dryRun: false).kept.map(\.name)
        XCTAssertEqual(kept.count, 2)
        XCTAssertNotNil(fixture.catalog[first])
    }

    /// A DROP or CREATE the killed restore sent may still run on the server: the repair waits for it.
    func testRepairWaitsForAStatementTheKilledRestoreLeftRunning() throws {
        let fixture = try F()
        try fixture.use("ug")
        fixture.crash(at: "restore.before-swap") { try fixture.restore("ug", F.snapshotB) }
        let journal = try XCTUnwrap(RestoreJournal.load(fixture.project.stateDirectory))
        fixture.catalog.busyNames = [journal.building]
        try fixture.nextCommandRepairs()
        XCTAssertTrue(fixture.catalog.busyNames.isEmpty)
        XCTAssertNil(fixture.catalog[journal.building])
        try fixture.assertConsistent(before: [:], working: [a])
    }
}
