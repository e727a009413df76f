import DatasetKit
import Foundation
import XCTest

/// Files people commit (profile.yaml, a clean profile's SQL files) are read strictly: nothing
/// in them is ignored, and nothing in them runs except SQL.
final class ProjectFileSafetyTests: XCTestCase {
    private var harness: Harness!

    override func setUpWithError() throws { harness = try Harness() }
    override func tearDown() { harness?.tearDown() }

    private var marker: String { "\(harness.root)/meta-command-ran" }

    /// A psql meta-command in a committed base file stops the load and never runs, whether it
    /// starts a line or follows SQL on it, in schema.sql or in data.sql.
    func testMetaCommandsInCleanProfileFilesNeverRun() throws {
        let cases: [(schema: String, data: String?, file: String, line: Int)] = [
            ("CREATE TABLE notes (id int);\n\\! touch \(marker)\n", nil, "schema.sql", 2),
            ("CREATE TABLE notes (id int);\nSELECT 1 \\! touch \(marker)\n", nil, "schema.sql", 2),
            ("CREATE TABLE notes (id int);\n", "INSERT INTO notes VALUES (1);\n\n\\o \(marker)\nSELECT 1;\n", "data.sql", 3),
        ]
        try Fixture.create(in: harness) // so that use replaces a working database rather than noting it creates one
        for (index, sample) in cases.enumerated() {
            try harness.write(sample.schema, to: "db/migration-base/clean-db/schema.sql")
            try? FileManager.default.removeItem(atPath: "\(harness.root)/db/migration-base/clean-db/data.sql")
            if let data = sample.data { try harness.write(data, to: "db/migration-base/clean-db/data.sql") }
            let says = "\(sample.file) line \(sample.line) holds a psql meta-command (a backslash command such as \\! or \\o); dpm loads SQL files with psql's meta-commands turned off, so write the SQL itself instead."
            try harness.assertRefused(["restore", "clean-db", "--into", harness.prefix + "_clean"], says: says)
            // use says first that it builds the template: the refusal is its last line.
            let before = try harness.stateFingerprint()
            let use = harness.dpm("use", "clean-db")
            XCTAssertNotEqual(use.status, 0)
            XCTAssertTrue(use.stderr.hasSuffix("error: \(says)\n"), use.stderr)
            XCTAssertEqual(try harness.stateFingerprint(), before, "use left something behind")
            XCTAssertFalse(FileManager.default.fileExists(atPath: marker), "case \(index): the meta-command ran")
        }
    }

    /// What pg_dump writes (COPY blocks whose rows start with a backslash, NULLs as \N) still
    /// loads: restricted mode stops meta-commands, not COPY data.
    func testCopyDataStartingWithABackslashStillLoads() throws {
        try harness.write("CREATE TABLE notes (body text, n int);\n", to: "db/migration-base/clean-db/schema.sql")
        try harness.write("COPY public.notes (body, n) FROM stdin;\n\\N\t1\n\\\\server\\\\share\t2\n\\.\n", to: "db/migration-base/clean-db/data.sql")
        let restored = harness.dpm("restore", "clean-db", "--into", harness.prefix + "_clean")
        XCTAssertEqual(restored.status, 0, restored.stderr)
        XCTAssertEqual(try harness.psql("SELECT coalesce(body, 'NULL') || ':' || n FROM notes ORDER BY n", in: harness.prefix + "_clean"),
                       "NULL:1\n\\\\server\\\\share:2".replacingOccurrences(of: "\\\\", with: "\\"))
    }

    /// A setting dpm does not know (a misspelling such as sanitise:, or a section of a later
    /// version) is refused by every command that reads the profile, naming the key and line.
    func testUnknownProfileSettingsAreRefused() throws {
        try Fixture.create(in: harness)
        XCTAssertEqual(harness.dpm("profile", "create", "ug", "--kind", "shared").status, 0)
        try harness.write("kind: shared\ndescription: \"copy\"\nsanitise:\n  columns:\n    public.accounts.name: name\n",
                          to: "profiles/ug/profile.yaml")
        let says = "profiles/ug/profile.yaml line 3: unknown setting \"sanitise\" (known: description, kind, sanitize, tables)."
        try harness.assertRefused(["upload", "ug"], says: says)
        try harness.assertRefused(["profile", "show", "ug"], says: says)
        XCTAssertFalse(FileManager.default.fileExists(atPath: "\(harness.store)/snapshots/ug"), "nothing was stored")

        try harness.write("kind: shared\ntabels:\n  exclude_data: [audit_log]\n", to: "profiles/ug/profile.yaml")
        try harness.assertRefused(["upload", "ug"], says: "profiles/ug/profile.yaml line 2: unknown setting \"tabels\" (known: description, kind, sanitize, tables).")
    }
}
