import DatasetKit
import Foundation
import XCTest

/// A stash that holds nothing but an unchanged template copy is not kept as a database:
/// it becomes the template's spare (or is dropped), and `undo` rebuilds it from the template.
/// Any change, to rows, schema, sequences, large objects or media, keeps the stash.
final class StashRecyclingTests: XCTestCase {
    private var harness: Harness!
    private var digestA = ""
    private var digestB = ""
    private var mediaA: [String: String] = [:]

    override func setUpWithError() throws {
        harness = try Harness()
        try Fixture.create(in: harness)
        try Fixture.createMedia(in: harness)
        harness.dpm("profile", "create", "a", "--kind", "shared")
        XCTAssertEqual(harness.dpm("upload", "a").status, 0)
        try harness.psql("INSERT INTO audit_log (entry) VALUES ('only in b')")
        try harness.write("only in b", to: "media/b.txt")
        harness.dpm("profile", "create", "b", "--kind", "shared")
        XCTAssertEqual(harness.dpm("upload", "b").status, 0)
        digestB = try harness.contentDigest()
        // The local database (work nobody uploaded) becomes the first stash, and is kept.
        let first = try use("a")
        XCTAssertNil(first.stashRecycled)
        XCTAssertTrue(try harness.databaseExists(try XCTUnwrap(first.stash)))
        digestA = try harness.contentDigest()
        mediaA = Fixture.mediaFingerprint(harness.media)
    }

    override func tearDown() { harness?.tearDown() }

    private func use(_ profile: String, environment: [String: String] = [:]) throws -> SwitchResult {
        let run = harness.dpm(["use", profile, "--json"], environment: environment)
        XCTAssertEqual(run.status, 0, run.stderr)
        return try JSONDecoder().decode(SwitchResult.self, from: Data(run.stdout.utf8))
    }

    private func stashes() throws -> [StashInfo] {
        try JSONDecoder().decode([StashInfo].self, from: Data(harness.dpm("stash", "list", "--json").stdout.utf8))
    }

    private func spares() throws -> [String] { try harness.databases().filter { $0.contains("__spare_") } }

    func testUnchangedStashBecomesTheSpareAndUndoRebuildsItFromTheTemplate() throws {
        let switched = harness.dpm("use", "b")
        XCTAssertEqual(switched.status, 0, switched.stderr)
        XCTAssertTrue(switched.stdout.contains("the previous one held a "), switched.stdout)
        XCTAssertTrue(switched.stdout.contains("unchanged, so no stash was kept (it became the template's ready spare copy; dpm undo rebuilds it from the template)"), switched.stdout)
        XCTAssertEqual(try harness.contentDigest(), digestB)
        let names = try harness.databases()
        XCTAssertEqual(names.filter { $0.contains("__stash_") }.count, 1, "only the stash with local work is a database: \(names)")
        XCTAssertEqual(try spares().count, 1)
        XCTAssertTrue(try spares().first?.contains("__spare_a_") == true, "\(names)")
        let listed = try stashes()
        XCTAssertEqual(listed.first?.recycled, true)
        XCTAssertEqual(listed.first?.profile, "a")
        XCTAssertEqual(listed.count, 2)

        let undo = harness.dpm("undo")
        XCTAssertEqual(undo.status, 0, undo.stderr)
        XCTAssertTrue(undo.stdout.contains("the stash held it unchanged, so it was rebuilt from the template: renamed a ready copy"), undo.stdout)
        XCTAssertEqual(try harness.contentDigest(), digestA, "undo goes back to what the stash held")
        XCTAssertEqual(Fixture.mediaFingerprint(harness.media), mediaA, "with its media")
        // b's copy was unchanged too: it is recycled in turn, and a second undo goes back to b.
        XCTAssertTrue(undo.stdout.contains("the previous one held b "), undo.stdout)
        let back = harness.dpm("undo")
        XCTAssertEqual(back.status, 0, back.stderr)
        XCTAssertEqual(try harness.contentDigest(), digestB)
        XCTAssertTrue(FileManager.default.fileExists(atPath: "\(harness.media)/b.txt"))

        // A template that already has a spare: the unchanged stash is dropped.
        XCTAssertEqual(harness.dpm("cache", "refill").status, 0)
        XCTAssertEqual(try spares().count, 2)
        let dropped = harness.dpm("use", "a")
        XCTAssertEqual(dropped.status, 0, dropped.stderr)
        XCTAssertTrue(dropped.stdout.contains("so no stash was kept (it was dropped; dpm undo rebuilds it from the template)"), dropped.stdout)
        XCTAssertEqual(try harness.databases().filter { $0.contains("__stash_") }.count, 1)
        let again = harness.dpm("undo")
        XCTAssertEqual(again.status, 0, again.stderr)
        XCTAssertTrue(again.stdout.contains("rebuilt from the template"), again.stdout)
        XCTAssertEqual(try harness.contentDigest(), digestB)

        // Far back, the stash with local work is still there and still what undo reaches last.
        XCTAssertEqual(try stashes().last?.recycled, nil)
    }

    func testAnyChangeKeepsTheStash() throws {
        let changes: [(String, () throws -> Void)] = [
            ("a row", { try self.harness.psql("INSERT INTO audit_log (entry) VALUES ('work')") }),
            ("an index", { try self.harness.psql("CREATE INDEX audit_entry ON audit_log (entry)") }),
            ("a column", { try self.harness.psql("ALTER TABLE audit_log ADD COLUMN extra text") }),
            ("a dropped view", { try self.harness.psql("CREATE TABLE t (x int); DROP TABLE t; DROP VIEW IF EXISTS nothing_here") }),
            ("a truncate", { try self.harness.psql("TRUNCATE audit_log") }),
            ("a nextval", { try self.harness.psql("SELECT nextval('invoice_numbers')") }),
            ("a large object", { try self.harness.psql("SELECT lo_create(0)") }),
            ("statistics reset", {
                try self.harness.psql("INSERT INTO audit_log (entry) VALUES ('hidden')")
                try self.harness.psql("SELECT pg_stat_reset()")
            }),
            ("a media file added", { try self.harness.write("new", to: "media/new.txt") }),
            ("a media file rewritten", { try self.harness.write("HELLO", to: "media/readme.txt") }),
        ]
        for (what, change) in changes {
            let fresh = try use("a")
            XCTAssertEqual(try harness.contentDigest(), digestA, what)
            try change()
            let switched = try use("b")
            XCTAssertNil(switched.stashRecycled, "\(what): the stash holds work")
            let stash = try XCTUnwrap(switched.stash, what)
            XCTAssertTrue(try harness.databaseExists(stash), "\(what): the stash is kept")
            _ = fresh
        }
        // The control: the same switches without a change do recycle.
        _ = try use("a")
        let unchanged = try use("b")
        XCTAssertNotNil(unchanged.stashRecycled, "an unchanged stash is recycled")
        XCTAssertFalse(try harness.databaseExists(try XCTUnwrap(unchanged.stash)))
    }

    func testStashesOverTheThresholdAreWarnedAbout() throws {
        let quiet = harness.dpm("use", "b")
        XCTAssertFalse(quiet.stderr.contains("stash prune"), quiet.stderr)
        let tiny = ["DPM_STASH_WARN_GB": "0.000001"]
        let loud = harness.dpm(["use", "a"], environment: tiny)
        XCTAssertEqual(loud.status, 0, loud.stderr)
        // The warning counts the stashes that hold a database: recycled ones hold none. Whether
        // a stash is recycled is the detector's call (any doubt keeps it), so the count is read.
        let held = try stashesHoldingDatabases()
        XCTAssertGreaterThan(held, 0, "the first stash holds the local work")
        XCTAssertTrue(loud.stderr.contains(Self.warning(held, harness.database)), loud.stderr)
        XCTAssertTrue(loud.stderr.contains("more than DPM_STASH_WARN_GB allows (1.0 KB); run \"dpm stash prune --keep "), loud.stderr)
        let status = harness.dpm(["status"], environment: tiny)
        XCTAssertTrue(status.stdout.contains("Warning:   " + Self.warning(held, harness.database)), status.stdout)
        // The command it prints is the one that brings the stashes under the limit.
        let range = try XCTUnwrap(status.stdout.range(of: #"dpm stash prune --keep [0-9]+"#, options: .regularExpression), status.stdout)
        let keep = String(status.stdout[range].split(separator: " ").last ?? "")
        XCTAssertFalse(harness.dpm("status").stdout.contains("Warning:"), "the default limit is 10 GB")
        XCTAssertEqual(harness.dpm("stash", "prune", "--keep", keep).status, 0)
        XCTAssertFalse(harness.dpm(["status"], environment: tiny).stdout.contains("Warning:"))
        let last = harness.dpm(["use", "b"], environment: tiny)
        let after = try stashesHoldingDatabases()
        if after == 0 {
            XCTAssertFalse(last.stderr.contains("stash prune"), last.stdout + last.stderr + harness.dpm("stash", "list").stdout)
        } else {
            XCTAssertTrue(last.stderr.contains(Self.warning(after, harness.database)), last.stdout + last.stderr)
        }
    }

    private func stashesHoldingDatabases() throws -> Int { try stashes().filter { $0.recycled != true }.count }

    private static func warning(_ count: Int, _ database: String) -> String {
        count == 1 ? "The 1 stash of \(database) holds " : "The \(count) stashes of \(database) hold "
    }

    func testKilledWhileRecyclingKeepsTheStashAndTheNewDatabase() throws {
        let killed = harness.dpm("use", "b", environment: ["DPM_STOP_AT": "use.recycle-stash"])
        XCTAssertEqual(killed.status, SIGKILL, killed.stderr)
        XCTAssertEqual(try harness.contentDigest(), digestB, "the working database holds the new data")
        XCTAssertEqual(try harness.databases().filter { $0.contains("__stash_") }.count, 2, "the stash is still a database")

        // The next command repairs: the stash stays a stash, and undo renames it back.
        XCTAssertEqual(harness.dpm("stash", "prune", "--keep", "10").status, 0)
        let listed = try stashes()
        XCTAssertEqual(listed.count, 2)
        XCTAssertNil(listed.first?.recycled)
        let undo = harness.dpm("undo")
        XCTAssertEqual(undo.status, 0, undo.stderr)
        XCTAssertTrue(undo.stdout.contains("renamed the stash back"), undo.stdout)
        XCTAssertEqual(try harness.contentDigest(), digestA)
        XCTAssertEqual(Fixture.mediaFingerprint(harness.media), mediaA)
    }
}
