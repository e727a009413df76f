@testable import DatasetKit
import Foundation
import XCTest

/// A kill at every checkpoint of `use`, `undo`, stash recycling and refills, followed by the
/// repair the next dpm command runs: the working database is the old or the new one (with its
/// media beside it), nothing the user had is lost, labels tell the truth, and what is left is
/// what dpm cleanup removes.
final class SwitchCrashTests: XCTestCase {
    typealias F = LocalFixture
    let a = F.content("ug", F.snapshotA), b = F.content("ug", F.snapshotB)

    /// Working: A with the user's work; B's template cached; B's stash (with work) kept.
    private func workedOnTwoSnapshots(spares: Bool) throws -> F {
        let fixture = try F()
        try fixture.use("ug", F.snapshotB)
        try fixture.work()
        try fixture.use("ug")
        try fixture.work()
        if spares { try fixture.refill() }
        return fixture
    }

    /// Crashes `use ug B` at `step`, repairs, and checks that the working database holds `expected`.
    private func crashUse(at step: String, spares: Bool, expected: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let fixture = try workedOnTwoSnapshots(spares: spares)
        let before = fixture.catalog.committed()
        fixture.crash(at: step, file: file, line: line) { try fixture.use("ug", F.snapshotB) }
        try fixture.nextCommandRepairs()
        try fixture.assertConsistent(before: before, working: [expected], file: file, line: line)
        // And the next switch works.
        try fixture.use("demo")
        try fixture.assertConsistent(before: before, working: [F.content("demo", F.snapshotC)], file: file, line: line)
    }

    func testUseByCloneKilledInsideItsTransaction() throws {
        try crashUse(at: "use.between-renames", spares: false, expected: a)
    }

    func testUseByCloneKilledBeforeTheMediaMoves() throws {
        try crashUse(at: "use.before-media", spares: false, expected: b)
    }

    func testUseByCloneKilledBetweenTheMediaMoves() throws {
        try crashUse(at: "use.between-media-renames", spares: false, expected: b)
    }

    func testUseBySpareKilledInsideItsTransaction() throws {
        try crashUse(at: "use.between-renames", spares: true, expected: a)
    }

    func testUseBySpareKilledBeforeTheMediaMoves() throws {
        try crashUse(at: "use.before-media", spares: true, expected: b)
    }

    func testUseBySpareKilledBetweenTheMediaMoves() throws {
        try crashUse(at: "use.between-media-renames", spares: true, expected: b)
    }

    func testFirstUseKilledAtEveryStep() throws {
        for step in ["use.between-renames", "use.before-media"] {
            let fixture = try F()
            fixture.crash(at: step) { try fixture.use("ug") }
            try fixture.nextCommandRepairs()
            if step == "use.between-renames" {
                // Nothing committed: there is still no working database, and nothing else but the template.
                XCTAssertNil(fixture.catalog[F.working], step)
                try fixture.use("ug")
            }
            try fixture.assertConsistent(before: [:], working: [a])
        }
    }

    /// A media folder without a working database is kept as an orphan's; a kill cannot lose it.
    func testFirstUseBesideAnOrphanedMediaFolderKilledAtEveryStep() throws {
        for step in ["use.between-renames", "use.before-media", "use.between-media-renames"] {
            let fixture = try F()
            try FileManager.default.createDirectory(atPath: fixture.mediaFolder, withIntermediateDirectories: true)
            try Data("theirs".utf8).write(to: URL(fileURLWithPath: "\(fixture.mediaFolder)/kept.jpg"))
            fixture.crash(at: step) { try fixture.use("ug") }
            try fixture.nextCommandRepairs()
            if fixture.catalog[F.working] == nil { try fixture.use("ug") }
            try fixture.assertConsistent(before: [:], working: [a])
            let kept = try FileManager.default.contentsOfDirectory(atPath: "\(fixture.project.stateDirectory)/stash")
            XCTAssertEqual(kept.count, 1, step)
            XCTAssertTrue(FileManager.default.fileExists(atPath: "\(fixture.project.stateDirectory)/stash/\(kept[0])/media/kept.jpg"), step)
        }
    }

    private func crashUndo(at step: String, expected: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let fixture = try workedOnTwoSnapshots(spares: false)
        let before = fixture.catalog.committed()
        fixture.crash(at: step, file: file, line: line) { try fixture.undo() }
        try fixture.nextCommandRepairs()
        try fixture.assertConsistent(before: before, working: [expected], file: file, line: line)
        try fixture.undo()
        try fixture.assertConsistent(before: before, working: [expected == a ? b : a], file: file, line: line)
    }

    func testUndoKilledInsideItsTransaction() throws {
        try crashUndo(at: "use.between-renames", expected: a)
    }

    func testUndoKilledBeforeTheMediaMoves() throws {
        try crashUndo(at: "use.before-media", expected: b)
    }

    func testUndoKilledBetweenTheMediaMoves() throws {
        try crashUndo(at: "use.between-media-renames", expected: b)
    }

    /// A untouched: its stash is about to be recycled when the kill comes.
    func testRecyclingKilledAfterItsRecordKeepsTheStash() throws {
        let fixture = try F()
        try fixture.use("ug")
        let before = fixture.catalog.committed()
        fixture.crash(at: "use.recycle-stash") { try fixture.use("ug", F.snapshotB) }
        XCTAssertEqual(LocalState.load(fixture.names).recycled?.first?.pending, true)
        try fixture.nextCommandRepairs()
        XCTAssertNil(LocalState.load(fixture.names).recycled)
        let stashes = try fixture.local().catalog().stashes
        XCTAssertEqual(stashes.map { fixture.catalog[$0.name]?.content }, [a])
        try fixture.assertConsistent(before: before, working: [b])
        XCTAssertEqual(try fixture.undo().method, .stash)
        try fixture.assertConsistent(before: before, working: [a])
    }

    /// `undo` to a recycled stash rebuilds it from the template; a kill in its switch leaves
    /// the record for the next undo, or (once committed) removes it.
    func testUndoOfARecycledStashKilledAtEveryStep() throws {
        for (step, expected) in [("use.between-renames", b), ("use.before-media", a), ("use.between-media-renames", a)] {
            let fixture = try F()
            try fixture.use("ug")
            try fixture.use("ug", F.snapshotB)
            try fixture.work()
            let before = fixture.catalog.committed()
            fixture.crash(at: step) { try fixture.undo() }
            try fixture.nextCommandRepairs()
            try fixture.assertConsistent(before: before, working: [expected])
            let records = LocalState.load(fixture.names).recycled ?? []
            XCTAssertTrue(records.allSatisfy { $0.consumedBy == nil && $0.pending == nil }, step)
            XCTAssertEqual(records.map(\.snapshot), expected == b ? [F.snapshotA] : [], step)
            if expected == b {
                XCTAssertEqual(try fixture.undo().rebuiltFromTemplate, true, step)
                try fixture.assertConsistent(before: before, working: [a])
            }
        }
    }

    func testRefillKilledAfterItsCloneLeavesOnlyWhatTheNextRefillDrops() throws {
        let fixture = try workedOnTwoSnapshots(spares: false)
        let before = fixture.catalog.committed()
        fixture.crash(at: "refill.after-clone") { try fixture.refill() }
        let clones = try fixture.catalog.databaseNames(matching: fixture.names.buildingPattern("clone"))
        XCTAssertEqual(clones.count, 1)
        // dpm cleanup finds it (assertConsistent runs it); a refill would drop it too.
        try fixture.nextCommandRepairs()
        try fixture.assertConsistent(before: before, working: [a])
        XCTAssertEqual(try fixture.refill().made.count, 2)
        try fixture.assertConsistent(before: before, working: [a])
    }

    func testTheNextRefillDropsTheCloneAKilledRefillLeft() throws {
        let fixture = try workedOnTwoSnapshots(spares: false)
        fixture.crash(at: "refill.after-clone") { try fixture.refill() }
        XCTAssertEqual(try fixture.refill().made.count, 2)
        XCTAssertEqual(try fixture.catalog.databaseNames(matching: fixture.names.buildingPattern("clone")), [])
    }
}
