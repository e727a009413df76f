import DatasetKit
import Foundation
import XCTest

/// `dpm squash` on the bundled demo app and on a small project, checked with the test's own
/// pg_dump comparison rather than dpm's.
final class SquashTests: XCTestCase {
    private var harness: Harness!

    override func setUpWithError() throws { harness = try Harness() }
    override func tearDown() { harness?.tearDown() }

    private static let packageRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path

    @discardableResult
    private func git(_ arguments: String...) throws -> String {
        let run = harness.command("git", ["-c", "user.email=tests@example.com", "-c", "user.name=dpm tests"] + arguments)
        guard run.status == 0 else { throw DPMError.internal("git \(arguments.joined(separator: " ")) failed: \(run.stderr)") }
        return run.stdout
    }

    private func commitAll(_ message: String) throws {
        try git("add", "-A")
        try git("commit", "-q", "--allow-empty", "-m", message)
    }

    private func dpmOK(_ arguments: String...) throws {
        let run = harness.dpm(arguments)
        guard run.status == 0 else { throw DPMError.internal("dpm \(arguments.joined(separator: " ")) failed: \(run.stderr)") }
    }

    /// Runs SQL files into a new database, as a person would with psql.
    private func build(_ database: String, from files: [String]) throws {
        try harness.psql("CREATE DATABASE \"\(database)\"", in: "postgres")
        for file in files {
            let run = harness.command("psql", ["-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", database, "-f", file])
            guard run.status == 0 else { throw DPMError.internal("psql -f \(file) failed: \(run.stderr)") }
        }
    }

    /// pg_dump's schema without comments, blank lines and the per-dump restrict keys.
    private func schema(of database: String) throws -> [String] {
        let run = harness.command("pg_dump", ["--schema-only", "--no-owner", "--no-privileges", "-d", database])
        guard run.status == 0 else { throw DPMError.internal("pg_dump failed: \(run.stderr)") }
        return run.stdout.split(separator: "\n").map(String.init)
            .filter { !$0.hasPrefix("--") && !$0.hasPrefix("\\restrict") && !$0.hasPrefix("\\unrestrict") }
    }

    private func sqlFiles(in folder: String) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: folder).filter { $0.hasSuffix(".sql") }.sorted().map { "\(folder)/\($0)" }
    }

    func testSquashOnTheDemoAppIsEquivalentByAnIndependentCheck() throws {
        for folder in ["db", "profiles"] {
            try? FileManager.default.removeItem(atPath: "\(harness.root)/\(folder)")
            try FileManager.default.copyItem(atPath: "\(Self.packageRoot)/\(folder)", toPath: "\(harness.root)/\(folder)")
        }
        for profile in ["clean-db", "user-generated", "customer-acme"] {
            try? FileManager.default.removeItem(atPath: "\(harness.root)/profiles/\(profile)/manifest.json")
        }
        // As the demo does: customer-acme stops at the fifth migration, user-generated has all 13.
        try dpmOK("restore", "clean-db")
        try dpmOK("migrate", "--to", "20260320130000")
        try dpmOK("upload", "customer-acme")
        try dpmOK("migrate")
        try dpmOK("upload", "user-generated")
        try git("init", "-q")
        try commitAll("demo app with snapshots")
        let old = harness.root + "-old-db"
        try FileManager.default.copyItem(atPath: "\(harness.root)/db", toPath: old)
        defer { try? FileManager.default.removeItem(atPath: old) }

        let dry = harness.dpm("squash", "--dry-run", "--json")
        XCTAssertEqual(dry.status, 0, dry.stderr)
        let plan = try JSONDecoder().decode(SquashPlan.self, from: Data(dry.stdout.utf8))
        XCTAssertEqual(plan.squashed.map(\.version), ["20260301090000", "20260305100000", "20260310110000", "20260315120000", "20260320130000"])
        XCTAssertEqual(plan.kept.count, 8)
        XCTAssertEqual(plan.kept.first?.reason, "not applied in customer-acme")
        XCTAssertEqual(plan.baseFrom, "migrations", "user-generated is past the squash point")
        XCTAssertEqual(try git("status", "--porcelain"), "", "a dry run writes nothing")
        XCTAssertEqual(try harness.databases(), [harness.database], "scratch databases are dropped")

        let squashed = harness.dpm("squash", "--yes", "--json")
        XCTAssertEqual(squashed.status, 0, squashed.stderr)
        let done = try JSONDecoder().decode(SquashPlan.self, from: Data(squashed.stdout.utf8))
        XCTAssertEqual(done.removedFiles.count, 5)
        XCTAssertEqual(try sqlFiles(in: "\(harness.root)/db/migrations").count, 8)
        XCTAssertTrue(try git("status", "--porcelain").contains(" D db/migrations/20260301090000_create_labels.sql"))
        let newBase = String(decoding: harness.read("db/migration-base/clean-db/schema.sql") ?? Data(), as: UTF8.self)
        XCTAssertEqual(newBase.components(separatedBy: "\n-- dpm:post-data\n").count, 2, "the new base has a clean profile's shape")
        let inserted = newBase.components(separatedBy: "INSERT INTO public.schema_migrations").dropFirst().first
            .map { $0.prefix { $0 != ";" }.split(separator: "\n").filter { $0.hasPrefix("    (") }.count } ?? 0
        XCTAssertGreaterThan(inserted, 0)
        XCTAssertEqual(done.trackingRowsInBase, inserted, "the summary counts the rows its INSERT has")

        // A: the old base and all 13 old files; B: the new base and the 8 that remain.
        let base = "db/migration-base/clean-db"
        try build(harness.prefix + "_a", from: ["\(old)/migration-base/clean-db/schema.sql", "\(old)/migration-base/clean-db/data.sql"]
                  + (try sqlFiles(in: "\(old)/migrations")))
        try build(harness.prefix + "_b", from: ["\(harness.root)/\(base)/schema.sql", "\(harness.root)/\(base)/data.sql"])
        XCTAssertEqual(try harness.psql("SELECT string_agg(version, ',' ORDER BY version) FROM schema_migrations", in: harness.prefix + "_b"),
                       "20260101000000,20260115000000,20260201000000,20260301090000,20260305100000,20260310110000,20260315120000,20260320130000",
                       "the new base records the squashed migrations")
        for file in try sqlFiles(in: "\(harness.root)/db/migrations") {
            let run = harness.command("psql", ["-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", harness.prefix + "_b", "-f", file])
            XCTAssertEqual(run.status, 0, run.stderr)
        }
        let a = try schema(of: harness.prefix + "_a"), b = try schema(of: harness.prefix + "_b")
        XCTAssertGreaterThan(a.count, 100)
        XCTAssertEqual(a, b, "old base + every migration and new base + the rest give one schema")
        // The seed data the migrations produced (labels backfilled from the old jsonb column) is in the new base.
        XCTAssertEqual(try harness.psql("SELECT count(*) FROM task_labels", in: harness.prefix + "_b"),
                       try harness.psql("SELECT count(*) FROM task_labels", in: harness.prefix + "_a"))

        // dpm itself works from the new base.
        try dpmOK("restore", "clean-db", "--force", "--migrate")
        let status = harness.dpm("migrations", "status", "clean-db", "--json")
        let row = try JSONDecoder().decode(MigrationReport.self, from: Data(status.stdout.utf8)).rows.first
        XCTAssertEqual(row?.comparison?.pending?.count, 8)
        XCTAssertEqual(try harness.psql("SELECT count(*) FROM schema_migrations"), "16")
    }

    private func writeSmallProject() throws {
        try harness.write("""
            CREATE TABLE schema_migrations (version text PRIMARY KEY);
            CREATE TABLE notes (id serial PRIMARY KEY, body text NOT NULL);

            """, to: "db/migration-base/clean-db/schema.sql")
        try harness.write("""
            INSERT INTO schema_migrations VALUES ('20260101000000');
            INSERT INTO notes (id, body) VALUES (1, 'seed');
            SELECT setval('notes_id_seq', 1);

            """, to: "db/migration-base/clean-db/data.sql")
        try harness.write("ALTER TABLE notes ADD COLUMN title text;\n", to: "db/migrations/20260301000000_add_title.sql")
        try harness.write("CREATE INDEX notes_title ON notes (title);\n", to: "db/migrations/20260302000000_index_title.sql")
        try harness.write("CREATE TABLE tags (id serial PRIMARY KEY, name text NOT NULL);\n", to: "db/migrations/20260303000000_create_tags.sql")
        try dpmOK("profile", "create", "user-generated", "--kind", "shared")
    }

    private func assertRefused(_ arguments: [String], saying expected: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let before = try harness.stateFingerprint()
        let run = harness.dpm(arguments)
        XCTAssertEqual(run.status, 1, run.stderr, file: file, line: line)
        XCTAssertTrue(run.stderr.contains(expected), run.stderr, file: file, line: line)
        XCTAssertEqual(try harness.stateFingerprint(), before, "nothing written", file: file, line: line)
    }

    func testSquashRefusesWhatItCannotProveAndWritesNothing() throws {
        try writeSmallProject()
        try assertRefused(["squash", "--yes"], saying: "The profile user-generated has no snapshot yet, so there is no schema to squash into")

        try dpmOK("restore", "clean-db")
        try dpmOK("migrate")
        try dpmOK("upload", "user-generated")
        try dpmOK("profile", "create", "customer-x", "--kind", "customer")
        try dpmOK("restore", "clean-db", "--force")
        try dpmOK("upload", "customer-x")
        try assertRefused(["squash", "--yes"], saying: "Nothing to squash: the oldest migration, db/migrations/20260301000000_add_title.sql, is not applied in customer-x")
        try dpmOK("profile", "delete", "customer-x", "--yes")

        // Production has an index no migration made: the new base would differ from the migrations.
        try dpmOK("restore", "user-generated", "--force")
        try harness.psql("CREATE INDEX notes_hand_made ON notes (body)")
        try dpmOK("upload", "user-generated")
        try assertRefused(["squash", "--yes"], saying: "The new base does not reproduce the schema: A: old base + 3 migrations and B: new base + 0 migrations differ in 6 lines (diff above); nothing was written; the new base is user-generated's schema, so production has changes no migration makes (+ lines) or lacks ones they make (- lines): write a migration for them (or undo them in production), upload user-generated again and run dpm squash again.")
        let mismatch = harness.dpm("squash", "--dry-run")
        XCTAssertTrue(mismatch.stderr.contains("+CREATE INDEX notes_hand_made ON public.notes USING btree (body);"), mismatch.stderr)
        XCTAssertTrue(mismatch.stderr.contains("--- A: old base + 3 migrations"), mismatch.stderr)
        // On a terminal: each scratch build says what it is doing, and the diff starts clean.
        let (lines, redraws) = Harness.screen(harness.onTerminal(["squash", "--dry-run"]).stdout)
        XCTAssertTrue(redraws.contains { $0.hasPrefix("building A in a scratch database: the old base and 3 migrations") }, "\(redraws)")
        XCTAssertTrue(redraws.contains { $0.hasPrefix("building B in a scratch database: the new base and 0 migrations") }, "\(redraws)")
        XCTAssertTrue(lines.contains("--- A: old base + 3 migrations"), "\(lines)")

        try harness.psql("DROP INDEX notes_hand_made")
        try dpmOK("upload", "user-generated")
        try assertRefused(["squash"], saying: "Refusing to squash without confirmation; add --yes")
        try assertRefused(["squash", "--from", "clean-db"], saying: "The source of a squash is a dataset with a snapshot in the store")
        try assertRefused(["squash", "--from", "nobody"], saying: "nobody")
        try assertRefused(["squash", "--into", "user-generated", "--yes"],
                          saying: "--into names the clean profile whose base schema squash rewrites; user-generated is not of kind clean.")
        let base = try XCTUnwrap(harness.read("db/migration-base/clean-db/schema.sql"))
        try harness.write("CREATE TABLE broken (;\n", to: "db/migration-base/clean-db/schema.sql")
        try assertRefused(["squash", "--yes"], saying: "The current base db/migration-base/clean-db/schema.sql does not load (")
        try base.write(to: URL(fileURLWithPath: "\(harness.root)/db/migration-base/clean-db/schema.sql"))
        let config = try XCTUnwrap(harness.read("dpm.yaml"))
        try harness.write(String(decoding: config, as: UTF8.self) + "  command: \"true\"\n", to: "dpm.yaml")
        try assertRefused(["squash", "--yes"], saying: "it cannot work with migrations.command set in dpm.yaml")
        try config.write(to: URL(fileURLWithPath: "\(harness.root)/dpm.yaml"))
        XCTAssertEqual(try harness.databases(), [harness.database], "scratch databases are dropped after a refusal")
    }

    func testKeepFilesKeepsMigrationsAndAFittingDataFile() throws {
        try writeSmallProject()
        try dpmOK("restore", "clean-db")
        try dpmOK("migrate")
        try dpmOK("upload", "user-generated")
        let data = harness.read("db/migration-base/clean-db/data.sql")

        let run = harness.dpm("squash", "--keep-files", "--yes", "--json")
        XCTAssertEqual(run.status, 0, run.stderr)
        let plan = try JSONDecoder().decode(SquashPlan.self, from: Data(run.stdout.utf8))
        XCTAssertEqual(plan.baseFrom, "snapshot")
        XCTAssertEqual(plan.dataFile.action, "kept")
        XCTAssertEqual(plan.removedFiles, [])
        XCTAssertEqual(harness.read("db/migration-base/clean-db/data.sql"), data, "data.sql loads on the new base unchanged")
        XCTAssertEqual(try sqlFiles(in: "\(harness.root)/db/migrations").count, 3)
        let schema = String(decoding: harness.read("db/migration-base/clean-db/schema.sql") ?? Data(), as: UTF8.self)
        XCTAssertTrue(schema.contains("INSERT INTO public.schema_migrations (version) VALUES\n    ('20260301000000'),\n    ('20260302000000'),\n    ('20260303000000');"), schema)
        XCTAssertFalse(schema.contains("('20260101000000')"), "data.sql records that version already")
        let manifest = try XCTUnwrap(harness.read("profiles/clean-db/manifest.json"))
        XCTAssertEqual(try JSONDecoder().decode(Snapshot.self, from: manifest).migrations.first?.versions.count, 4)

        // The kept files count as applied: a restore of the new base has nothing pending.
        try dpmOK("restore", "clean-db", "--force")
        let dry = harness.dpm("migrate", "--dry-run")
        XCTAssertTrue(dry.stdout.contains("is up to date"), dry.stdout)
        XCTAssertEqual(try harness.psql("SELECT count(*) FROM pg_indexes WHERE indexname = 'notes_title'"), "1")
    }
}

extension SquashTests {
    func testAKilledSquashLeavesNothingThatTheNextOneCannotFinish() throws {
        try writeSmallProject()
        try dpmOK("restore", "clean-db")
        try dpmOK("migrate")
        try dpmOK("upload", "user-generated")
        let files = try harness.stateFingerprint()

        // Killed while proving: a scratch database stays behind, no file changed.
        let killed = harness.dpm(["squash", "--yes"], environment: ["DPM_STOP_AT": "squash.proof"])
        XCTAssertNotEqual(killed.status, 0)
        let scratch = try XCTUnwrap(try harness.databases().first { $0.contains("__dpm_squash_a_") })
        let status = harness.dpm("status")
        XCTAssertTrue(status.stdout.contains("Leftover:  database \(scratch) (a scratch database of dpm process "), status.stdout)
        XCTAssertTrue(status.stdout.contains("which is gone); dpm cleanup removes it"), status.stdout)
        let dry = harness.dpm("squash", "--dry-run")
        XCTAssertEqual(dry.status, 0, dry.stderr)
        XCTAssertEqual(try harness.stateFingerprint(), files, "the next squash dropped the stray scratch database")

        // Killed after the new base is written but before the files go: the base records
        // them, so they are not pending, and the next squash deletes them.
        let interrupted = harness.dpm(["squash", "--yes"], environment: ["DPM_STOP_AT": "squash.before-deletes"])
        XCTAssertNotEqual(interrupted.status, 0)
        XCTAssertEqual(try sqlFiles(in: "\(harness.root)/db/migrations").count, 3)
        try dpmOK("restore", "clean-db", "--force")
        XCTAssertTrue(harness.dpm("migrate", "--dry-run").stdout.contains("is up to date"))
        let again = harness.dpm("squash", "--yes", "--json")
        XCTAssertEqual(again.status, 0, again.stderr)
        XCTAssertEqual(try JSONDecoder().decode(SquashPlan.self, from: Data(again.stdout.utf8)).removedFiles.count, 3)
        XCTAssertEqual(try sqlFiles(in: "\(harness.root)/db/migrations"), [])
    }
}
