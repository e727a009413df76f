import DatasetKit
import Foundation
import XCTest

/// Anyone who may comment on a database can write a "dpm {…}" label. dpm removes only
/// folders it derives itself inside the project's .dpm, and a label it cannot have written
/// is reported and left alone by detach, stash drop|prune, undo, cache prune|refill and status.
final class LabelTrustTests: XCTestCase {
    private var harness: Harness!
    /// A folder outside the project that a hostile label names.
    private var outside = ""
    private var outsideRoot = ""
    private var localDigest = ""

    override func setUpWithError() throws {
        harness = try Harness()
        try Fixture.create(in: harness)
        try Fixture.createMedia(in: harness)
        harness.dpm("profile", "create", "ug", "--kind", "shared")
        XCTAssertEqual(harness.dpm("upload", "ug").status, 0)
        try harness.psql("INSERT INTO audit_log (entry) VALUES ('local work')")
        localDigest = try harness.contentDigest()
        // A real stash (the local work) and the snapshot's media in .dpm/media.
        let use = harness.dpm("use", "ug")
        XCTAssertEqual(use.status, 0, use.stderr)

        outsideRoot = NSTemporaryDirectory() + "dpm-evil-\(UUID().uuidString)"
        outside = "\(outsideRoot)/some/where"
        for file in ["keep.txt", "spare/keep.txt", "template/keep.txt"] {
            try harness.write("precious", to: "\(outside)/\(file)")
        }
    }

    override func tearDown() {
        harness?.tearDown()
        try? FileManager.default.removeItem(atPath: outsideRoot)
    }

    private func assertOutsideSurvives(_ context: String, file: StaticString = #filePath, line: UInt = #line) {
        for path in ["keep.txt", "spare/keep.txt", "template/keep.txt"] {
            XCTAssertEqual(FileManager.default.contents(atPath: "\(outside)/\(path)"), Data("precious".utf8),
                           "\(context): \(outside)/\(path) survives", file: file, line: line)
        }
    }

    /// Creates an empty database carrying `label` (JSON) as its comment.
    private func plant(_ name: String, _ label: String) throws {
        try harness.psql("CREATE DATABASE \"\(name)\"", in: "postgres")
        try harness.psql("COMMENT ON DATABASE \"\(name)\" IS 'dpm \(label)'", in: "postgres")
    }

    private func attachedLabel() -> String {
        #"{"role":"attached","working":"\#(harness.database)","media":"\#(outside)","since":"2026-01-01T00:00:00.000Z"}"#
    }

    /// A stash label naming the outside folder, newer than any real stash.
    private func stashLabel() -> String {
        #"{"role":"stash","working":"\#(harness.database)","media":"\#(outside)","since":"2099-01-01T00:00:00.000Z"}"#
    }

    /// Template and spare labels whose profile and snapshot lead from .dpm/media to the outside folder.
    private func cacheLabel(_ role: String) throws -> String {
        let mediaCache = "\(harness.root)/.dpm/media"
        XCTAssertTrue(FileManager.default.fileExists(atPath: mediaCache))
        let climb = FilePath.components(mediaCache).map { _ in ".." }.joined(separator: "/")
        let snapshot = String(outside.dropFirst())
        return #"{"role":"\#(role)","working":"\#(harness.database)","profile":"\#(climb)","snapshot":"\#(snapshot)","since":"2026-01-01T00:00:00.000Z"}"#
    }

    func testDetachAllLeavesAForgedAttachedLabelAndItsFolderAlone() throws {
        let evil = harness.prefix + "_evil"
        try plant(evil, attachedLabel())
        XCTAssertEqual(harness.dpm("attach", "ug").status, 0)

        let detach = harness.dpm("detach", "--all")
        XCTAssertEqual(detach.status, 0, detach.stderr)
        assertOutsideSurvives("detach --all")
        XCTAssertTrue(detach.stderr.contains("The database \(evil) is left alone: its dpm label names the media folder \(outside), but dpm keeps the media of an attached database in \(harness.root)/.dpm/attached/\(evil)/media"), detach.stderr)
        XCTAssertTrue(try harness.databaseExists(evil), "a label dpm did not write is not acted on")
        XCTAssertFalse(try harness.databaseExists(harness.database + "__ug"), "real attached databases are detached")

        let named = harness.dpm("detach", evil)
        XCTAssertNotEqual(named.status, 0)
        XCTAssertTrue(named.stderr.hasPrefix("error: The database \(evil) is left alone: "), named.stderr)
        XCTAssertEqual(named.stderr.filter { $0 == "\n" }.count, 1, named.stderr)
        assertOutsideSurvives("detach NAME")

        let status = harness.dpm("status")
        XCTAssertTrue(status.stdout.contains("The database \(evil) is left alone"), status.stdout)
    }

    func testStashDropAndPruneLeaveForgedStashLabelsAlone() throws {
        // A stash name dpm could have made, but a media folder it would not have written.
        let forged = harness.database + "__stash_20990101T000000"
        try plant(forged, stashLabel())
        // A stash label on a database dpm would not have named so.
        let misnamed = harness.prefix + "_notastash"
        try plant(misnamed, stashLabel())

        let drop = harness.dpm("stash", "drop", "20990101T000000")
        XCTAssertNotEqual(drop.status, 0)
        XCTAssertTrue(drop.stderr.hasPrefix("error: The database \(forged) is left alone: its dpm label names the media folder \(outside)"), drop.stderr)
        assertOutsideSurvives("stash drop")

        let prune = harness.dpm("stash", "prune", "--keep", "0")
        XCTAssertEqual(prune.status, 0, prune.stderr)
        assertOutsideSurvives("stash prune")
        XCTAssertTrue(prune.stderr.contains("The database \(forged) is left alone"), prune.stderr)
        XCTAssertTrue(prune.stderr.contains("The database \(misnamed) is left alone: its dpm label says it is a stash, but dpm names stashes"), prune.stderr)
        XCTAssertTrue(try harness.databaseExists(forged))
        XCTAssertTrue(try harness.databaseExists(misnamed))
        XCTAssertFalse(try harness.databases().contains { $0.hasPrefix(harness.database + "__stash_2026") }, "the real stash was pruned")
    }

    func testUndoSkipsAForgedNewestStash() throws {
        let forged = harness.database + "__stash_20990101T000000"
        try plant(forged, stashLabel())

        let undo = harness.dpm("undo")
        XCTAssertEqual(undo.status, 0, undo.stderr)
        assertOutsideSurvives("undo")
        XCTAssertTrue(undo.stderr.contains("The database \(forged) is left alone"), undo.stderr)
        XCTAssertEqual(try harness.contentDigest(), localDigest, "undo brought back the real stash")
        XCTAssertTrue(try harness.databaseExists(forged))
    }

    func testCachePruneAndRefillLeaveForgedTemplateAndSpareLabelsAlone() throws {
        let template = harness.prefix + "_tpl", spare = harness.prefix + "_spare"
        try plant(spare, try cacheLabel("spare"))
        // A refill drops the spares of templates that are not among the most recently used.
        let refill = harness.dpm("cache", "refill")
        XCTAssertEqual(refill.status, 0, refill.stderr)
        assertOutsideSurvives("cache refill")
        XCTAssertTrue(try harness.databaseExists(spare))
        XCTAssertTrue(try harness.databases().contains { $0.contains("__spare_ug_") }, "the real template got its spare")

        try plant(template, try cacheLabel("template"))

        let prune = harness.dpm("cache", "prune", "--keep", "0")
        XCTAssertEqual(prune.status, 0, prune.stderr)
        assertOutsideSurvives("cache prune")
        XCTAssertTrue(prune.stderr.contains("The database \(template) is left alone: its dpm label names \""), prune.stderr)
        XCTAssertTrue(prune.stderr.contains("The database \(spare) is left alone"), prune.stderr)
        XCTAssertTrue(try harness.databaseExists(template))
        XCTAssertFalse(try harness.databases().contains { $0.contains("__tpl_ug_") }, "the real template was pruned")

        let status = try JSONDecoder().decode(ProjectStatus.self, from: Data(harness.dpm("status", "--json").stdout.utf8))
        let notes = status.local?.notes ?? []
        XCTAssertTrue(notes.contains { $0.hasPrefix("The database \(template) is left alone") }, "\(notes)")
        XCTAssertTrue(notes.contains { $0.hasPrefix("The database \(spare) is left alone") }, "\(notes)")
    }

    /// Stash and attached folders are named after databases named after the working one.
    func testAWorkingDatabaseNameThatCannotNameAFolderIsRefused() throws {
        let before = try harness.stateFingerprint()
        for arguments in [["attach", "ug"], ["undo"], ["detach", "--all"]] {
            let run = harness.dpm(arguments, environment: ["DPM_DATABASE_URL": "dbname=../../evil"])
            XCTAssertNotEqual(run.status, 0, "\(arguments)")
            XCTAssertEqual(run.stderr, "error: The working database name \"../../evil\" cannot be part of a folder name (it is \".\", \"..\" or contains \"/\"), which dpm's stashes and attached databases need; use another database name in dpm.yaml.\n", "\(arguments)")
        }
        XCTAssertEqual(try harness.stateFingerprint(), before)
    }
}
