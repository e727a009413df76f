import DatasetKit
import Foundation
import XCTest

/// `use`, `undo`, stashes, spares and the template cache against the real server.
final class SwitchTests: XCTestCase {
    private var harness: Harness!
    /// Content digests of the working database as the fixture made it, and as snapshot "ug" holds it.
    private var localDigest = ""
    private var snapshotDigest = ""
    private var snapshotMedia: [String: String] = [:]

    override func setUpWithError() throws {
        harness = try Harness()
        try Fixture.create(in: harness)
        try Fixture.createMedia(in: harness)
        harness.dpm("profile", "create", "ug", "--kind", "shared")
        let upload = harness.dpm("upload", "ug")
        XCTAssertEqual(upload.status, 0, upload.stderr)
        snapshotDigest = try harness.contentDigest()
        snapshotMedia = Fixture.mediaFingerprint(harness.media)
        // Local work that must never be lost.
        try harness.psql("INSERT INTO audit_log (entry) VALUES ('local work'); DELETE FROM orders WHERE id > 1500")
        try harness.write("my local upload", to: "media/local.txt")
        localDigest = try harness.contentDigest()
        try harness.write("CREATE TABLE settings (key text PRIMARY KEY, value text);\nCREATE TABLE schema_migrations (version text PRIMARY KEY);\n",
                          to: "db/migration-base/clean-db/schema.sql")
        try harness.write("INSERT INTO settings VALUES ('theme', 'dark');\nINSERT INTO schema_migrations VALUES ('1');\n",
                          to: "db/migration-base/clean-db/data.sql")
    }

    override func tearDown() { harness?.tearDown() }

    private func use(_ arguments: String..., environment: [String: String] = [:]) throws -> SwitchResult {
        let run = harness.dpm(["use"] + arguments + ["--json"], environment: environment)
        XCTAssertEqual(run.status, 0, run.stderr)
        return try JSONDecoder().decode(SwitchResult.self, from: Data(run.stdout.utf8))
    }

    private func status() throws -> ProjectStatus {
        let run = harness.dpm("status", "--json")
        XCTAssertEqual(run.status, 0, run.stderr)
        return try JSONDecoder().decode(ProjectStatus.self, from: Data(run.stdout.utf8))
    }

    func testUseStashesLocalWorkAndUndoBringsItBackWithItsMedia() throws {
        let first = try use("ug")
        XCTAssertEqual(first.method, .restore)
        XCTAssertEqual(try harness.contentDigest(), snapshotDigest)
        XCTAssertEqual(Fixture.mediaFingerprint(harness.media), snapshotMedia)
        let stash = try XCTUnwrap(first.stash)
        XCTAssertEqual(try harness.contentDigest(of: stash), localDigest, "the local database is stashed, not dropped")

        let undo = harness.dpm("undo")
        XCTAssertEqual(undo.status, 0, undo.stderr)
        XCTAssertEqual(try harness.contentDigest(), localDigest)
        XCTAssertEqual(Fixture.mediaFingerprint(harness.media)["local.txt"].map { _ in true }, true, "local media is back")
        XCTAssertFalse(try harness.databaseExists(stash), "the stash became the working database again")

        let redo = harness.dpm("undo")
        XCTAssertEqual(redo.status, 0, redo.stderr)
        XCTAssertEqual(try harness.contentDigest(), snapshotDigest, "a second undo switches back")
        XCTAssertEqual(Fixture.mediaFingerprint(harness.media), snapshotMedia)
    }

    func testSecondSwitchClonesAndASpareMakesItARename() throws {
        XCTAssertEqual(try use("ug").method, .restore)
        // Work in it, so that its stash is kept (an unchanged one would become ug's spare).
        try harness.psql("INSERT INTO audit_log (entry) VALUES ('work')")
        let clean = try use("clean-db")
        XCTAssertEqual(clean.method, .restore)
        XCTAssertEqual(try harness.psql("SELECT value FROM settings"), "dark")
        XCTAssertEqual(Fixture.mediaFingerprint(harness.media), [:], "clean-db has no media")

        XCTAssertEqual(try use("ug").method, .clone, "the template is cached")
        XCTAssertEqual(try harness.contentDigest(), snapshotDigest)

        let refill = harness.dpm("cache", "refill", "--json")
        XCTAssertEqual(refill.status, 0, refill.stderr)
        let templates = try JSONDecoder().decode([TemplateInfo].self, from: Data(harness.dpm("cache", "list", "--json").stdout.utf8))
        XCTAssertEqual(templates.count, 2)
        XCTAssertTrue(templates.allSatisfy { $0.spare != nil }, "every recent template has a spare: \(templates)")

        try harness.psql("INSERT INTO audit_log (entry) VALUES ('written in ug')")
        let renamed = try use("clean-db")
        XCTAssertEqual(renamed.method, .spare)
        XCTAssertEqual(try harness.psql("SELECT value FROM settings"), "dark")
        let back = try use("ug")
        XCTAssertEqual(back.method, .spare)
        XCTAssertEqual(try harness.contentDigest(), snapshotDigest, "the spare is a pristine copy, not the stashed one")
        XCTAssertEqual(Fixture.mediaFingerprint(harness.media), snapshotMedia)
    }

    func testBackgroundRefillMakesTheSpareOnItsOwn() throws {
        _ = try use("ug", environment: ["DPM_REFILL": "on"])
        var spare: String?
        for _ in 0..<100 where spare == nil {
            usleep(200_000)
            spare = try harness.databases().first { $0.contains("__spare_ug_") }
        }
        XCTAssertNotNil(spare, "the background refill made a spare")
        // Waits for the background process (one refill at a time), so teardown finds it done.
        XCTAssertEqual(harness.dpm("cache", "refill").status, 0)
        XCTAssertEqual(try use("clean-db").method, .restore)
        XCTAssertEqual(try use("ug").method, .spare)
    }

    func testStatusTellsWhatTheWorkingDatabaseHoldsAndWhatChanged() throws {
        _ = try use("clean-db")
        try harness.psql("INSERT INTO settings VALUES ('lang', 'en'); INSERT INTO schema_migrations VALUES ('2')")
        let local = try XCTUnwrap(try status().local)
        XCTAssertEqual(local.active?.profile, "clean-db")
        XCTAssertEqual(local.active?.tablesWritten, ["schema_migrations", "settings"])
        XCTAssertEqual(local.active?.migrationsApplied, 1)
        XCTAssertEqual(local.stashes.count, 1)
        XCTAssertEqual(local.templates.map(\.profile), ["clean-db"])

        // Someone drops the template by hand: status says so, and the next use rebuilds it.
        let template = try XCTUnwrap(local.templates.first?.database)
        try harness.psql("ALTER DATABASE \"\(template)\" IS_TEMPLATE false", in: "postgres")
        try harness.psql("DROP DATABASE \"\(template)\"", in: "postgres")
        let notes = try XCTUnwrap(try status().local?.notes)
        XCTAssertTrue(notes.contains { $0.contains("The template \(template) was dropped outside dpm") }, "\(notes)")
        let rebuilt = harness.dpm("use", "clean-db")
        XCTAssertEqual(rebuilt.status, 0, rebuilt.stderr)
        XCTAssertTrue(rebuilt.stderr.contains("is gone (dropped by hand?); rebuilding it from the files in git"), rebuilt.stderr)

        // And the working database dropped by hand: status says what use and undo will do.
        try harness.psql("DROP DATABASE \"\(harness.database)\" WITH (FORCE)", in: "postgres")
        let missing = try XCTUnwrap(try status().local?.notes)
        XCTAssertTrue(missing.contains { $0.contains("does not exist; \"dpm use <profile>\" creates it or \"dpm undo\" brings back the last stash") }, "\(missing)")
        let undo = harness.dpm("undo")
        XCTAssertEqual(undo.status, 0, undo.stderr)
        XCTAssertTrue(try harness.databaseExists(harness.database))
    }

    func testOpenConnectionsAreNamedAndEndedOnlyWithForce() throws {
        let session = Process()
        session.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        session.arguments = ["psql", "-X", "-q", "-d", harness.database, "-c", "SET application_name = 'rails-console'; SELECT pg_sleep(60)"]
        session.standardOutput = FileHandle.nullDevice
        session.standardError = FileHandle.nullDevice
        try session.run()
        defer { session.terminate() }
        for _ in 0..<50 where try harness.psql("SELECT count(*) FROM pg_stat_activity WHERE application_name = 'rails-console'", in: "postgres") == "0" {
            usleep(100_000)
        }
        let before = try harness.stateFingerprint()
        let refused = harness.dpm("use", "ug")
        XCTAssertNotEqual(refused.status, 0)
        XCTAssertTrue(refused.stderr.contains("has an open connection (pid"), refused.stderr)
        XCTAssertTrue(refused.stderr.contains("rails-console"), refused.stderr)
        XCTAssertTrue(refused.stderr.contains("add --force to end it"), refused.stderr)
        XCTAssertEqual(try harness.stateFingerprint(), before, "nothing changed")

        XCTAssertEqual(try use("ug", "--force").method, .restore)
        XCTAssertEqual(try harness.contentDigest(), snapshotDigest)
    }

    func testStashListDropAndPrune() throws {
        for profile in ["ug", "clean-db", "ug", "clean-db"] { _ = try use(profile) }
        let stashes = try JSONDecoder().decode([StashInfo].self, from: Data(harness.dpm("stash", "list", "--json").stdout.utf8))
        XCTAssertEqual(stashes.count, 4)
        XCTAssertEqual(stashes.last?.profile, nil, "the oldest stash is the local database dpm did not fill")
        XCTAssertEqual(stashes.first?.profile, "ug")

        let dropped = harness.dpm("stash", "drop", stashes[1].id)
        XCTAssertEqual(dropped.status, 0, dropped.stderr)
        XCTAssertFalse(try harness.databaseExists(stashes[1].database))
        let pruned = harness.dpm("stash", "prune", "--keep", "1")
        XCTAssertEqual(pruned.status, 0, pruned.stderr)
        let left = try JSONDecoder().decode([StashInfo].self, from: Data(harness.dpm("stash", "list", "--json").stdout.utf8))
        XCTAssertEqual(left.map(\.id), [stashes[0].id])
        XCTAssertFalse(FileManager.default.fileExists(atPath: "\(harness.root)/.dpm/stash/\(stashes[3].database)"), "its media went too")

        let cachePruned = harness.dpm("cache", "prune", "--keep", "0", "--profile", "ug")
        XCTAssertEqual(cachePruned.status, 0, cachePruned.stderr)
        let templates = try JSONDecoder().decode([TemplateInfo].self, from: Data(harness.dpm("cache", "list", "--json").stdout.utf8))
        XCTAssertEqual(templates.map(\.profile), ["clean-db"])
        XCTAssertEqual(try use("ug").method, .restore, "a pruned template is restored again")
    }
}
