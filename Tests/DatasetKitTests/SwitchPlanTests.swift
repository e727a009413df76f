@testable import DatasetKit
import Foundation
import XCTest

/// `use` and `undo` against the in-memory catalog: which copy is switched in, what is
/// stashed or recycled, and that a refused or failed switch changes nothing.
final class SwitchPlanTests: XCTestCase {
    typealias F = LocalFixture
    let a = F.content("ug", F.snapshotA), b = F.content("ug", F.snapshotB)

    func testFirstUseRestoresTheTemplateAndClonesIt() throws {
        let fixture = try F()
        let result = try fixture.use("ug")
        XCTAssertEqual(result.method, .restore)
        XCTAssertNil(result.stash)
        let template = fixture.names.template(profile: "ug", snapshot: F.snapshotA)
        XCTAssertEqual(fixture.catalog[template]?.isTemplate, true)
        XCTAssertEqual(fixture.catalog[template]?.content, a)
        XCTAssertEqual(LocalState.load(fixture.names).active?.createdDatabase, true)
        try fixture.assertConsistent(before: [:], working: [a])
    }

    func testUseTakesTheWaitingSpare() throws {
        let fixture = try F()
        try fixture.use("ug")
        try fixture.work()
        try fixture.use("ug", F.snapshotB)
        XCTAssertEqual(try fixture.refill().made.count, 2)
        let before = fixture.catalog.committed()
        let result = try fixture.use("ug")
        XCTAssertEqual(result.method, .spare)
        XCTAssertNil(fixture.catalog[fixture.names.spare(profile: "ug", snapshot: F.snapshotA)])
        try fixture.assertConsistent(before: before, working: [a])
    }

    func testUseClonesTheCachedTemplateAndStashesTheWork() throws {
        let fixture = try F()
        try fixture.use("ug")
        try fixture.work()
        try fixture.use("ug", F.snapshotB)
        let before = fixture.catalog.committed()
        let result = try fixture.use("ug")
        XCTAssertEqual(result.method, .clone)
        // The previous working database (B, untouched) held only its template's copy: recycled.
        XCTAssertEqual(result.stashRecycled, "spare")
        XCTAssertEqual(fixture.catalog[fixture.names.spare(profile: "ug", snapshot: F.snapshotB)]?.content, b)
        let stashes = try fixture.local().catalog().stashes
        XCTAssertEqual(stashes.map { fixture.catalog[$0.name]?.tablesWritten }, [["orders"]])
        try fixture.assertConsistent(before: before, working: [a])
    }

    func testUndoRenamesTheStashBack() throws {
        let fixture = try F()
        try fixture.use("ug")
        try fixture.work()
        try fixture.use("ug", F.snapshotB)
        try fixture.work()
        let before = fixture.catalog.committed()
        let result = try fixture.undo()
        XCTAssertEqual(result.method, .stash)
        XCTAssertEqual(result.tablesWritten, 1)
        XCTAssertNil(result.stashRecycled)
        try fixture.assertConsistent(before: before, working: [a])
        XCTAssertEqual(fixture.catalog[F.working]?.tablesWritten, ["orders"])
    }

    func testUndoRebuildsARecycledStashFromItsTemplate() throws {
        let fixture = try F()
        try fixture.use("ug")
        let switched = try fixture.use("ug", F.snapshotB)
        XCTAssertEqual(switched.stashRecycled, "spare")
        XCTAssertEqual(LocalState.load(fixture.names).recycled?.count, 1)
        let before = fixture.catalog.committed()
        let result = try fixture.undo()
        XCTAssertEqual(result.rebuiltFromTemplate, true)
        XCTAssertEqual(result.method, .spare)
        // What came back is gone from the records; the B it replaced, untouched, is recycled in turn.
        XCTAssertEqual(LocalState.load(fixture.names).recycled?.map(\.snapshot), [F.snapshotB])
        try fixture.assertConsistent(before: before, working: [a])
    }

    func testUndoWithoutStashRefuses() throws {
        let fixture = try F()
        try fixture.use("ug")
        XCTAssertThrowsError(try fixture.undo()) { error in
            XCTAssertTrue("\(error)".contains("Nothing to undo: there is no stash of app, because dpm use created it"), "\(error)")
        }
    }

    func testUseRefusesWhileTheWorkingDatabaseIsOpenAndForceEndsTheSessions() throws {
        let fixture = try F()
        try fixture.use("ug")
        try fixture.work()
        fixture.catalog.openSession(on: F.working)
        let before = fixture.catalog.committed()
        XCTAssertThrowsError(try fixture.use("ug", F.snapshotB)) { error in
            XCTAssertTrue("\(error)".contains("The working database app has an open connection (pid 1001 app from 127.0.0.1 as tester)"), "\(error)")
        }
        XCTAssertEqual(fixture.catalog.committed(), before)
        try fixture.assertConsistent(before: before, working: [a])
        fixture.catalog.openSession(on: F.working)
        XCTAssertEqual(try fixture.use("ug", F.snapshotB, force: true).method, .restore)
        try fixture.assertConsistent(before: before, working: [b])
    }

    func testSessionsThatReconnectAreEndedAgainWithForce() throws {
        let fixture = try F()
        try fixture.use("ug")
        try fixture.work()
        let pool = fixture.catalog.openSession(on: F.working, application: "pool")
        fixture.catalog.reconnecting[F.working] = pool
        let before = fixture.catalog.committed()
        // The pool is back before every attempt of the transaction: after five, the switch gives up.
        XCTAssertThrowsError(try fixture.use("ug", F.snapshotB, force: true)) { error in
            XCTAssertEqual((error as? DPMError)?.kind, .inUse, "\(error)")
        }
        fixture.catalog.reconnecting = [:]
        fixture.catalog.update(F.working) { $0.sessions = [] }
        try fixture.assertConsistent(before: before, working: [a])
    }

    func testAFailedTransactionLeavesEverythingAsItWas() throws {
        let fixture = try F()
        try fixture.use("ug")
        try fixture.work()
        try fixture.use("ug", F.snapshotB)
        try fixture.work()
        try fixture.refill()
        let before = fixture.catalog.committed()
        // The stash name is taken by hand while the switch prepares: the rename fails inside the transaction.
        fixture.catalog.failTransaction(atChange: 2)
        XCTAssertThrowsError(try fixture.use("ug"))
        XCTAssertEqual(fixture.catalog.committed(), before)
        try fixture.assertConsistent(before: before, working: [b])
    }

    func testAFailedRestoreOfTheTemplateLeavesNothingBehind() throws {
        let fixture = try F()
        try fixture.use("ug")
        try fixture.work()
        let before = fixture.catalog.committed()
        fixture.failFill.withValue { $0 = true }
        XCTAssertThrowsError(try fixture.use("ug", F.snapshotB)) { error in
            XCTAssertTrue("\(error)".contains("is corrupt"), "\(error)")
        }
        XCTAssertEqual(fixture.catalog.committed(), before)
        try fixture.assertConsistent(before: before, working: [a])
    }

    func testWithoutCreatePrivilegeUseRefusesNamingTheRole() throws {
        let fixture = try F()
        fixture.catalog.createAllowed = false
        XCTAssertThrowsError(try fixture.use("ug")) { error in
            XCTAssertTrue("\(error)".contains("The role tester cannot create databases, which dpm use needs"), "\(error)")
        }
        XCTAssertEqual(fixture.catalog.committed(), [:])
    }
}
