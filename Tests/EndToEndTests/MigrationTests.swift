import DatasetKit
import Foundation
import XCTest

/// Migration state, dpm's runner, external commands and the follow-up after restore and use.
final class MigrationTests: XCTestCase {
    private var harness: Harness!

    override func setUpWithError() throws { harness = try Harness() }
    override func tearDown() { harness?.tearDown() }

    private func writeMigrations() throws {
        try harness.write("CREATE TABLE notes (id serial PRIMARY KEY, body text);\n", to: "db/migrations/20260301000000_create_notes.sql")
        try harness.write("ALTER TABLE notes RENAME COLUMN body TO content;\n", to: "db/migrations/20260302000000_rename_body.sql")
        try harness.write("INSERT INTO notes (content) VALUES ('seeded by a data migration');\n", to: "db/migrations/20260303000000_seed_notes.sql")
    }

    private func workingRow() throws -> MigrationReport.Row {
        let run = harness.dpm("migrations", "status", "--json")
        XCTAssertEqual(run.status, 0, run.stderr)
        let report = try JSONDecoder().decode(MigrationReport.self, from: Data(run.stdout.utf8))
        return try XCTUnwrap(report.rows.first { $0.isWorkingDatabase })
    }

    func testDetectionOfEachToolsTableLayout() throws {
        try harness.psql("CREATE DATABASE \"\(harness.database)\"", in: "postgres")
        try writeMigrations()
        let layouts: [(String, String, [String], Bool?, [String]?)] = [
            // Rails: schema_migrations (version varchar primary key); dbmate the same with varchar(128).
            ("CREATE TABLE schema_migrations (version character varying NOT NULL PRIMARY KEY); INSERT INTO schema_migrations VALUES ('20260301000000'), ('20260302000000')",
             "rails/dbmate", ["20260301000000", "20260302000000"], nil, ["20260303000000"]),
            // golang-migrate: one row, the current version, and a dirty flag.
            ("CREATE TABLE schema_migrations (version bigint NOT NULL PRIMARY KEY, dirty boolean NOT NULL); INSERT INTO schema_migrations VALUES (20260302000000, false)",
             "golang-migrate", ["20260302000000"], true, ["20260303000000"]),
            ("CREATE TABLE alembic_version (version_num varchar(32) NOT NULL PRIMARY KEY); INSERT INTO alembic_version VALUES ('ae1027a6acf')",
             "alembic", ["ae1027a6acf"], true, nil),
            ("CREATE TABLE django_migrations (id bigserial PRIMARY KEY, app varchar(255) NOT NULL, name varchar(255) NOT NULL, applied timestamptz NOT NULL DEFAULT now()); INSERT INTO django_migrations (app, name) VALUES ('contenttypes', '0001_initial'), ('auth', '0001_initial')",
             "django", ["contenttypes.0001_initial", "auth.0001_initial"], nil, nil),
            ("CREATE TABLE flyway_schema_history (installed_rank int PRIMARY KEY, version varchar(50), description varchar(200) NOT NULL, type varchar(20) NOT NULL, script varchar(1000) NOT NULL, checksum int, installed_by varchar(100) NOT NULL, installed_on timestamp NOT NULL DEFAULT now(), execution_time int NOT NULL, success boolean NOT NULL); INSERT INTO flyway_schema_history VALUES (1, '20260301000000', 'create notes', 'SQL', 'V1.sql', 1, 'me', now(), 5, true), (2, '20260302000000', 'failed', 'SQL', 'V2.sql', 1, 'me', now(), 5, false)",
             "flyway", ["20260301000000"], nil, ["20260302000000", "20260303000000"]),
            ("CREATE TABLE knex_migrations (id serial PRIMARY KEY, name varchar(255), batch int, migration_time timestamptz); INSERT INTO knex_migrations (name, batch, migration_time) VALUES ('20260301000000_create_notes.js', 1, now())",
             "knex", ["20260301000000_create_notes.js"], nil, ["20260302000000", "20260303000000"]),
            ("CREATE TABLE propel_migration (version int DEFAULT 0); INSERT INTO propel_migration VALUES (1), (2)",
             "propel", ["1", "2"], nil, ["20260301000000", "20260302000000", "20260303000000"]),
            ("CREATE TABLE dpm_migrations (version text PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now()); INSERT INTO dpm_migrations (version, name) VALUES ('20260301000000', 'create_notes')",
             "dpm", ["20260301000000"], nil, ["20260302000000", "20260303000000"]),
        ]
        for (sql, tool, versions, latestOnly, pending) in layouts {
            try harness.psql("DROP SCHEMA public CASCADE")
            try harness.psql("CREATE SCHEMA public")
            try harness.psql(sql)
            let row = try workingRow()
            XCTAssertEqual(row.comparison?.tool, tool, sql)
            XCTAssertEqual(row.comparison?.appliedCount, versions.count, tool)
            XCTAssertEqual(row.comparison?.pending?.map(\.version), pending, tool)
            let states = try JSONDecoder().decode(ProjectStatus.self, from: Data(harness.dpm("status", "--json").stdout.utf8)).database.migrations
            XCTAssertEqual(states?.first?.versions, versions, tool)
            XCTAssertEqual(states?.first?.latestOnly, latestOnly, tool)
        }
    }

    func testMigrateFromEmptyThenAFailingMigrationIsRolledBackAndNamed() throws {
        try harness.psql("CREATE DATABASE \"\(harness.database)\"", in: "postgres")
        try writeMigrations()
        let dry = harness.dpm("migrate", "--dry-run")
        XCTAssertEqual(dry.status, 0, dry.stderr)
        XCTAssertTrue(dry.stdout.contains("Would apply 3 migrations"), dry.stdout)
        XCTAssertEqual(try harness.psql("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'"), "0", "dry run changes nothing")

        let up = harness.dpm("migrate", "--to", "20260302000000", "--json")
        XCTAssertEqual(up.status, 0, up.stderr)
        XCTAssertEqual(try JSONDecoder().decode(MigrateResult.self, from: Data(up.stdout.utf8)).applied.count, 2)
        XCTAssertEqual(try harness.psql("SELECT string_agg(version || ':' || name, ',' ORDER BY version) FROM dpm_migrations"),
                       "20260301000000:create_notes,20260302000000:rename_body")

        try harness.write("INSERT INTO notes (content) VALUES ('half');\nSELECT no_such_function();\n", to: "db/migrations/20260304000000_broken.sql")
        let failed = harness.dpm("migrate")
        XCTAssertNotEqual(failed.status, 0)
        XCTAssertTrue(failed.stderr.contains("The migration db/migrations/20260304000000_broken.sql failed and was rolled back (the 1 before it stay applied)"), failed.stderr)
        XCTAssertTrue(failed.stderr.contains("20260304000000_broken.sql:2: ERROR:  function no_such_function() does not exist"), failed.stderr)
        XCTAssertEqual(failed.stderr.filter { $0 == "\n" }.count, 1, failed.stderr)
        XCTAssertEqual(try harness.psql("SELECT count(*) FROM notes WHERE content = 'half'"), "0", "rolled back")
        XCTAssertEqual(try harness.psql("SELECT count(*) FROM dpm_migrations"), "3", "the good one before it is applied and recorded")
    }

    func testRestoreAndUseReportPendingMigrationsAndMigrateAppliesThem() throws {
        try Fixture.create(in: harness)
        harness.dpm("profile", "create", "ug", "--kind", "shared")
        XCTAssertEqual(harness.dpm("upload", "ug").status, 0)
        try writeMigrations()

        let restored = harness.dpm("restore", "ug", "--force")
        XCTAssertEqual(restored.status, 0, restored.stderr)
        XCTAssertTrue(restored.stderr.contains("\(harness.database) lacks 3 migrations of db/migrations (20260301000000, 20260302000000, 20260303000000); run \"dpm migrate\", or add --migrate."), restored.stderr)

        let status = harness.dpm("migrations", "status", "ug", "--json")
        let report = try JSONDecoder().decode(MigrationReport.self, from: Data(status.stdout.utf8))
        XCTAssertEqual(report.rows.map(\.name), ["ug"])
        XCTAssertEqual(report.rows.first?.comparison?.pending?.count, 3)
        XCTAssertEqual(report.rows.first?.comparison?.unknown, ["20260101000000", "20260201000000"], "versions the repo no longer has")

        let used = harness.dpm("use", "ug", "--migrate")
        XCTAssertEqual(used.status, 0, used.stderr)
        XCTAssertTrue(used.stderr.contains("Applied 3 pending migrations to \(harness.database)"), used.stderr)
        XCTAssertEqual(try harness.psql("SELECT content FROM notes"), "seeded by a data migration")
        XCTAssertEqual(try harness.psql("SELECT count(*) FROM schema_migrations"), "5", "recorded in the project's own table")
    }

    func testExternalCommandGetsTheDatabaseAndItsFailureIsReported() throws {
        try harness.psql("CREATE DATABASE \"\(harness.database)\"", in: "postgres")
        try writeMigrations()
        let config = try XCTUnwrap(String(data: XCTUnwrap(harness.read("dpm.yaml")), encoding: .utf8))
        let tool = "psql -X -q -c \"CREATE TABLE made_by_tool (db text, url text); INSERT INTO made_by_tool VALUES ('$PGDATABASE', '$DATABASE_URL')\""
        try harness.write(config + "  command: '\(tool.replacingOccurrences(of: "'", with: "''"))'\n", to: "dpm.yaml")
        let ran = harness.dpm("migrate")
        XCTAssertEqual(ran.status, 0, ran.stderr)
        XCTAssertEqual(try harness.psql("SELECT db FROM made_by_tool"), harness.database)
        XCTAssertTrue(try harness.psql("SELECT url FROM made_by_tool").hasPrefix("postgresql://"))

        for (command, expected) in [("echo preparing; echo 'boom: table missing' >&2; exit 3", "failed with exit code 3; its last lines: preparing / boom: table missing."),
                                    ("no-such-migration-tool up", "failed with exit code 127")] {
            try harness.write(config + "  command: \"\(command)\"\n", to: "dpm.yaml")
            let failed = harness.dpm("migrate")
            XCTAssertNotEqual(failed.status, 0)
            XCTAssertTrue(failed.stderr.contains("The migration command \"\(command)\" \(expected)"), failed.stderr)
            XCTAssertEqual(failed.stderr.filter { $0 == "\n" }.count, 1, failed.stderr)
        }
    }

    func testBadMigrationFilesAreNamed() throws {
        try harness.psql("CREATE DATABASE \"\(harness.database)\"", in: "postgres")
        try harness.write("select 1;", to: "db/migrations/add_users.sql")
        let bad = harness.dpm("migrate")
        XCTAssertNotEqual(bad.status, 0)
        XCTAssertTrue(bad.stderr.contains("The migration file db/migrations/add_users.sql does not have the expected name"), bad.stderr)
        try FileManager.default.removeItem(atPath: "\(harness.root)/db/migrations/add_users.sql")
        try harness.write("select 1;", to: "db/migrations/7_a.sql")
        try harness.write("select 1;", to: "db/migrations/7_b.sql")
        let twice = harness.dpm("migrations", "status")
        XCTAssertNotEqual(twice.status, 0)
        XCTAssertTrue(twice.stderr.contains("have the same version 7"), twice.stderr)
        let target = harness.dpm("migrate", "--to", "8")
        XCTAssertTrue(target.stderr.contains("have the same version 7"), target.stderr)
    }

    func testMigrateRefusalsSayWhatToFixAndChangeNothing() throws {
        try harness.psql("CREATE DATABASE \"\(harness.database)\"", in: "postgres")
        try writeMigrations()
        try harness.psql("CREATE TABLE alembic_version (version_num varchar(32) NOT NULL PRIMARY KEY)")
        let config = try XCTUnwrap(String(data: XCTUnwrap(harness.read("dpm.yaml")), encoding: .utf8))
        let cases: [([String], String?, String)] = [
            (["migrate", "--db", "\(harness.prefix)_missing"], nil, "The database \(harness.prefix)_missing does not exist"),
            (["migrate", "--to", "20990101000000"], nil, "No migration file in db/migrations has the version 20990101000000 given to --to."),
            (["migrate"], nil, "The tracking table alembic_version belongs to alembic; set migrations.command"),
            (["migrate", "--to", "20260301000000"], config + "  command: \"true\"\n", "--to works with dpm's own runner only"),
            (["migrate"], config + "  table: \"bad table\"\n", "migrations.table must be a plain table name"),
            (["migrate"], config + "  command: \" \"\n", "migrations.command must be a command line"),
            (["migrate"], config + "  migrate_after_restore: sometimes\n", "migrations.migrate_after_restore must be true or false"),
        ]
        for (arguments, yaml, expected) in cases {
            try harness.write(yaml ?? config, to: "dpm.yaml")
            let before = try harness.stateFingerprint()
            let run = harness.dpm(arguments)
            XCTAssertNotEqual(run.status, 0, "\(arguments)")
            XCTAssertTrue(run.stderr.hasPrefix("error: ") && run.stderr.contains(expected), "\(arguments): \(run.stderr)")
            XCTAssertEqual(run.stderr.filter { $0 == "\n" }.count, 1, "one line: \(run.stderr)")
            XCTAssertEqual(try harness.stateFingerprint(), before, "\(arguments) changed nothing")
        }
    }
}
