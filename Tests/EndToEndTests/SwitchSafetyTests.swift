import DatasetKit
import Foundation
import XCTest

/// A switch or refill killed at any step leaves a working database in place, and the next
/// command finishes or rolls back; attach/detach and bad input leave nothing half done.
final class SwitchSafetyTests: XCTestCase {
    private var harness: Harness!

    override func setUpWithError() throws {
        harness = try Harness()
        try Fixture.create(in: harness)
        try Fixture.createMedia(in: harness)
        harness.dpm("profile", "create", "ug", "--kind", "shared")
        harness.dpm("profile", "create", "acme", "--kind", "customer")
        XCTAssertEqual(harness.dpm("upload", "ug").status, 0)
        XCTAssertEqual(harness.dpm("upload", "acme").status, 0)
        try harness.write("local", to: "media/local.txt")
        try harness.psql("INSERT INTO audit_log (entry) VALUES ('local work')")
    }

    override func tearDown() { harness?.tearDown() }

    func testUseKilledAtEachStepLeavesAWorkingDatabaseAndIsRepairedNext() throws {
        let oldDigest = try harness.contentDigest()
        let oldMedia = Fixture.mediaFingerprint(harness.media)
        XCTAssertEqual(harness.dpm("use", "ug").status, 0)
        let newDigest = try harness.contentDigest()
        let newMedia = Fixture.mediaFingerprint(harness.media)
        XCTAssertEqual(harness.dpm("undo").status, 0)
        XCTAssertEqual(try harness.contentDigest(), oldDigest)

        for step in ["use.between-renames", "use.before-media", "use.between-media-renames"] {
            let killed = harness.dpm("use", "ug", environment: ["DPM_STOP_AT": step])
            XCTAssertEqual(killed.status, SIGKILL, "\(step): \(killed.stderr)")
            XCTAssertTrue(try harness.databaseExists(harness.database), "\(step): a working database is in place")
            let digest = try harness.contentDigest()
            XCTAssertTrue(digest == oldDigest || digest == newDigest, "\(step): old or new, nothing else")
            let status = harness.dpm("status")
            XCTAssertTrue(status.stdout.contains("A switch was interrupted"), "\(step): \(status.stdout)")

            // The next command that changes local databases repairs first.
            let next = harness.dpm("stash", "prune", "--keep", "10")
            XCTAssertEqual(next.status, 0, next.stderr)
            if step == "use.between-renames" {
                XCTAssertTrue(next.stderr.contains("rolled back"), next.stderr)
                XCTAssertEqual(try harness.contentDigest(), oldDigest)
                XCTAssertEqual(Fixture.mediaFingerprint(harness.media), oldMedia)
            } else {
                XCTAssertTrue(next.stderr.contains("Finished an interrupted switch"), next.stderr)
                XCTAssertEqual(try harness.contentDigest(), newDigest)
                XCTAssertEqual(Fixture.mediaFingerprint(harness.media), newMedia, "\(step): media matches the database")
                XCTAssertEqual(harness.dpm("undo").status, 0, "\(step): undo brings back the old pair")
                XCTAssertEqual(try harness.contentDigest(), oldDigest)
                XCTAssertEqual(Fixture.mediaFingerprint(harness.media), oldMedia, "\(step)")
            }
            XCTAssertEqual(try harness.databases().filter { $0.contains("__dpm_") }, [], "\(step): no half-built database left")
        }
    }

    func testRefillKilledMidCloneLeavesNoSpareThatLooksGood() throws {
        XCTAssertEqual(harness.dpm("use", "ug").status, 0)
        let killed = harness.dpm("cache", "refill", environment: ["DPM_STOP_AT": "refill.after-clone"])
        XCTAssertEqual(killed.status, SIGKILL)
        let names = try harness.databases()
        XCTAssertTrue(names.contains { $0.contains("__dpm_clone_") }, "the unfinished copy keeps its temporary name: \(names)")
        XCTAssertFalse(names.contains { $0.contains("__spare_") })
        let templates = try JSONDecoder().decode([TemplateInfo].self, from: Data(harness.dpm("cache", "list", "--json").stdout.utf8))
        XCTAssertNil(templates.first?.spare)

        XCTAssertEqual(harness.dpm("cache", "refill").status, 0)
        let after = try harness.databases()
        XCTAssertFalse(after.contains { $0.contains("__dpm_clone_") }, "the next refill drops it")
        XCTAssertTrue(after.contains { $0.contains("__spare_ug_") })
    }

    func testAttachBesideTheWorkingDatabaseAndDetach() throws {
        let working = try harness.contentDigest()
        let attach = harness.dpm("attach", "acme")
        XCTAssertEqual(attach.status, 0, attach.stderr)
        XCTAssertTrue(attach.stderr.contains("holds a customer's data"), attach.stderr)
        let uri = attach.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        XCTAssertTrue(uri.hasPrefix("postgresql://"), uri)
        let name = harness.database + "__acme"
        XCTAssertTrue(try harness.databaseExists(name))
        XCTAssertEqual(try harness.psql("SELECT count(*) FROM orders", in: uri), "2000", "the printed URI works")
        XCTAssertEqual(try harness.contentDigest(), working, "the working database is untouched")
        XCTAssertTrue(FileManager.default.fileExists(atPath: "\(harness.root)/.dpm/attached/\(name)/media/readme.txt"))

        let second = harness.dpm("attach", "ug", "--as", "\(harness.prefix)_debug")
        XCTAssertEqual(second.status, 0, second.stderr)
        XCTAssertFalse(second.stderr.contains("customer"), "only customer profiles get the reminder")

        let before = try harness.stateFingerprint()
        for (arguments, expected) in [
            (["attach", "ug", "--as", "\(harness.prefix)_debug"], "already exists; detach it first"),
            (["attach", "ug", "--as", "bad name!"], "is not a usable database name for --as"),
            (["attach", "ug", "--as", harness.database], "is the working database"),
            (["attach", "nobody"], "There is no profile \"nobody\""),
            (["detach", "nothing"], "Nothing named \"nothing\" is attached"),
            (["detach", harness.database], "is the working database, not an attached one"),
        ] {
            let run = harness.dpm(arguments)
            XCTAssertNotEqual(run.status, 0, "\(arguments)")
            XCTAssertTrue(run.stderr.hasPrefix("error: ") && run.stderr.contains(expected), "\(arguments): \(run.stderr)")
            XCTAssertEqual(run.stderr.filter { $0 == "\n" }.count, 1, run.stderr)
        }
        XCTAssertEqual(try harness.stateFingerprint(), before, "refusals change nothing")

        let detach = harness.dpm("detach", "acme")
        XCTAssertEqual(detach.status, 0, detach.stderr)
        XCTAssertFalse(try harness.databaseExists(name))
        XCTAssertFalse(FileManager.default.fileExists(atPath: "\(harness.root)/.dpm/attached/\(name)"))
        XCTAssertEqual(harness.dpm("detach", "--all").status, 0)
        XCTAssertFalse(try harness.databaseExists("\(harness.prefix)_debug"))
        XCTAssertEqual(try harness.contentDigest(), working)
    }

    func testBadInputIsRefusedWithOneSentenceAndNoChange() throws {
        XCTAssertEqual(harness.dpm("stash", "list").status, 0)
        let role = "\(harness.prefix)_nocreate"
        try harness.psql("CREATE ROLE \"\(role)\" LOGIN; ALTER DATABASE \"\(harness.database)\" OWNER TO \"\(role)\"", in: "postgres")
        defer { _ = try? harness.psql("DROP OWNED BY \"\(role)\"; DROP ROLE IF EXISTS \"\(role)\"", in: "postgres") }
        let cases: [([String], [String: String], String)] = [
            (["undo"], [:], "Nothing to undo: there is no stash of \(harness.database)"),
            (["use", "nobody"], [:], "There is no profile \"nobody\""),
            (["use", "ug", "--snapshot", "20990101T000000Z-abcdef"], [:], "has no snapshot 20990101T000000Z-abcdef of profile ug"),
            (["use", "ug", "--snapshot", "latest"], [:], "has no tag latest of profile ug (it has no tags of ug)"),
            (["use", "ug", "--snapshot", "2026/01"], [:], "\"2026/01\" is neither a snapshot id"),
            (["use", "clean-db", "--snapshot", "20990101T000000Z-abcdef"], [:], "lives in git"),
            (["stash", "drop", "19990101T000000"], [:], "There is no stash \"19990101T000000\""),
            (["cache", "prune", "--profile", "nobody"], [:], "There is no profile \"nobody\""),
            (["use", "ug"], ["PGUSER": role], "cannot create databases, which dpm use needs"),
        ]
        for (arguments, environment, expected) in cases {
            let before = try harness.stateFingerprint()
            let run = harness.dpm(arguments, environment: environment)
            XCTAssertNotEqual(run.status, 0, "\(arguments)")
            XCTAssertTrue(run.stderr.hasPrefix("error: ") && run.stderr.contains(expected), "\(arguments): \(run.stderr)")
            XCTAssertEqual(run.stderr.filter { $0 == "\n" }.count, 1, "one line: \(run.stderr)")
            XCTAssertEqual(try harness.stateFingerprint(), before, "\(arguments) changed nothing")
        }
        let privilege = harness.dpm("use", "ug", environment: ["PGUSER": role])
        XCTAssertTrue(privilege.stderr.contains("ALTER ROLE \(role) CREATEDB."), privilege.stderr)
    }
}
