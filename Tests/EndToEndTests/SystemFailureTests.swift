import DatasetKit
import Foundation
import XCTest

/// Every command, run where the system refuses (a read-only project, a read-only TMPDIR, a
/// full store), answers with one sentence of dpm's: never Foundation's error dump, never a
/// crash, and never a half-made database.
final class SystemFailureTests: XCTestCase {
    private var harness: Harness!
    private let mounts = TestMounts()

    override func setUpWithError() throws {
        harness = try Harness()
        try Fixture.create(in: harness)
        try Fixture.createMedia(in: harness)
        XCTAssertEqual(harness.dpm("profile", "create", "ug", "--kind", "shared").status, 0)
        let upload = harness.dpm("upload", "ug")
        XCTAssertEqual(upload.status, 0, upload.stderr)
        try harness.write("CREATE TABLE settings (key text PRIMARY KEY);\n", to: "db/migration-base/clean-db/schema.sql")
        let use = harness.dpm("use", "ug")
        XCTAssertEqual(use.status, 0, use.stderr)
        try harness.write("-- dpm:batch table=orders key=id size=500\nUPDATE orders SET note = note WHERE id >= :batch_start AND id < :batch_end;\n",
                          to: "db/transforms/notes.sql")
        // New rows, so that an upload has something new to store.
        try harness.psql("INSERT INTO audit_log (entry) SELECT md5(i::text) FROM generate_series(1, 20000) i")
    }

    override func tearDown() {
        mounts.unmountAll()
        harness?.tearDown()
    }

    /// Every command with arguments that make it do real work.
    private var commands: [[String]] {
        [
            ["status"], ["profile", "list"], ["profile", "show", "ug"], ["profile", "create", "other", "--kind", "customer"],
            ["upload", "ug"], ["upload", "clean-db"], ["restore", "ug", "--into", harness.prefix + "_copy"], ["restore", "ug", "--force"],
            ["use", "clean-db"], ["undo"], ["stash", "list"], ["stash", "prune", "--keep", "0"], ["attach", "ug"], ["detach", "--all"],
            ["cache", "list"], ["cache", "refill"], ["cache", "prune", "--keep", "0"], ["migrate", "--dry-run"], ["migrate"],
            ["migrations", "status"], ["transform", "db/transforms/notes.sql", "--again"], ["squash", "--dry-run"], ["profile", "delete", "other", "--yes"],
            ["init", "--database", "dbname=\(harness.database)"],
        ]
    }

    private func assertEveryAnswerIsOneSentence(environment: [String: String], file: StaticString = #filePath, line: UInt = #line) throws {
        for arguments in commands {
            let before = try harness.databases()
            let run = harness.dpm(arguments, environment: environment)
            let what = "dpm \(arguments.joined(separator: " ")): \(run.stderr)"
            for foundationText in ["Error Domain", "NSCocoaErrorDomain", "UserInfo", "NSError", "CocoaError", "NSPOSIX", "Fatal error"] {
                XCTAssertFalse(run.stderr.contains(foundationText) || run.stdout.contains(foundationText), what, file: file, line: line)
            }
            XCTAssertTrue(run.status == 0 || run.status == 1, "exit \(run.status): \(what)", file: file, line: line)
            guard run.status != 0 else { continue }
            let lines = run.stderr.split(separator: "\n", omittingEmptySubsequences: false).dropLast()
            let last = lines.last.map(String.init) ?? ""
            XCTAssertTrue(run.stderr.hasSuffix("\n") && last.hasPrefix("error: ") && last.hasSuffix("."), "one sentence last: \(what)", file: file, line: line)
            XCTAssertEqual(lines.filter { $0.hasPrefix("error:") }.count, 1, what, file: file, line: line)
            XCTAssertEqual(try harness.databases(), before, "databases changed: \(what)", file: file, line: line)
        }
    }

    func testReadOnlyProject() throws {
        try mounts.makeReadOnly(harness.root)
        try assertEveryAnswerIsOneSentence(environment: [:])
    }

    func testReadOnlyTemporaryFolder() throws {
        let folder = try mounts.readOnlyFolder()
        try assertEveryAnswerIsOneSentence(environment: ["TMPDIR": folder])
    }

    func testFullStore() throws {
        let folder = try mounts.fullFolder(bytes: 8 << 20, seed: (harness.store, "store"))
        try assertEveryAnswerIsOneSentence(environment: ["DPM_STORE": "file://\(folder)/store"])
        let upload = harness.dpm(["upload", "ug"], environment: ["DPM_STORE": "file://\(folder)/store"])
        XCTAssertEqual(upload.stderr.split(separator: "\n").last?.contains("No space left on device"), true, upload.stderr)
    }
}
