import DatasetKit
import Foundation
import XCTest

/// Migrations that cannot run in a transaction (`-- dpm:no-transaction`) and files that
/// manage their own (`BEGIN; … COMMIT;`), through the runner and through squash.
final class MigrationTransactionTests: XCTestCase {
    private var harness: Harness!

    override func setUpWithError() throws { harness = try Harness() }
    override func tearDown() { harness?.tearDown() }

    private func dpmOK(_ arguments: String...) throws {
        let run = harness.dpm(arguments)
        XCTAssertEqual(run.status, 0, "dpm \(arguments.joined(separator: " ")): \(run.stderr)")
        if run.status != 0 { throw DPMError.internal("dpm \(arguments.joined(separator: " ")) failed") }
    }

    private func createTasks() throws {
        try harness.psql("CREATE DATABASE \"\(harness.database)\"", in: "postgres")
        try harness.psql("""
            CREATE TABLE schema_migrations (version text PRIMARY KEY);
            CREATE TABLE tasks (id bigserial PRIMARY KEY, title text NOT NULL, state text NOT NULL DEFAULT 'open');
            INSERT INTO tasks (title) SELECT 'task ' || i FROM generate_series(1, 500) i;
            """)
    }

    /// Rails' disable_ddl_transaction!: an index built without locking writes.
    static let concurrentIndex = """
        -- dpm:no-transaction
        -- Built without blocking writes to tasks, so it cannot run in a transaction.
        CREATE INDEX CONCURRENTLY IF NOT EXISTS tasks_title ON tasks (title);
        CREATE INDEX CONCURRENTLY IF NOT EXISTS tasks_state ON tasks (state) WHERE state <> 'done';

        """

    func testANoTransactionMigrationBuildsAnIndexConcurrently() throws {
        try createTasks()
        try harness.write("ALTER TABLE tasks ADD COLUMN due date;\n", to: "db/migrations/20260301000000_add_due.sql")
        try harness.write(Self.concurrentIndex, to: "db/migrations/20260302000000_index_tasks.sql")
        let run = harness.dpm("migrate")
        XCTAssertEqual(run.status, 0, run.stderr)
        XCTAssertTrue(run.stdout.contains("Applied 2 migrations"), run.stdout)
        XCTAssertTrue(run.stdout.contains("db/migrations/20260302000000_index_tasks.sql ran without a wrapping transaction (it has the line -- dpm:no-transaction)"), run.stdout)
        XCTAssertEqual(try harness.psql("SELECT string_agg(c.relname || ':' || i.indisvalid, ',' ORDER BY c.relname) FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid WHERE c.relname IN ('tasks_title', 'tasks_state')"),
                       "tasks_state:true,tasks_title:true")
        XCTAssertEqual(try harness.psql("SELECT string_agg(version, ',' ORDER BY version) FROM schema_migrations"), "20260301000000,20260302000000")

        // Without the marker PostgreSQL refuses it, and dpm says how to fix that.
        try harness.write("CREATE INDEX CONCURRENTLY tasks_due ON tasks (due);\n", to: "db/migrations/20260303000000_index_due.sql")
        let refused = harness.dpm("migrate")
        XCTAssertEqual(refused.status, 1)
        XCTAssertTrue(refused.stderr.contains("failed and was rolled back (nothing before it was applied)"), refused.stderr)
        XCTAssertTrue(refused.stderr.contains("cannot run inside a transaction block; to run it without one, add the line \"-- dpm:no-transaction\" to the file."), refused.stderr)
    }

    func testAFileWithItsOwnTransactionThatFailsSaysItMayBePartlyApplied() throws {
        try createTasks()
        let file = "db/migrations/20260301000000_create_labels.sql"
        try harness.write("""
            -- Labels, with their seed rows committed together.
            BEGIN;
            CREATE TABLE labels (id serial PRIMARY KEY, name text NOT NULL);
            INSERT INTO labels (name) VALUES ('urgent'), ('later');
            COMMIT;

            CREATE INDEX labels_colour
              ON labels (colour);

            """, to: file)
        let failed = harness.dpm("migrate")
        XCTAssertEqual(failed.status, 1)
        let message = failed.stderr
        XCTAssertTrue(message.contains("The migration \(file) failed at line 7 (CREATE INDEX labels_colour ON labels (colour)): ERROR:  column \"colour\" does not exist"), message)
        XCTAssertTrue(message.contains("it ran without a wrapping transaction (it controls its own transactions: BEGIN at line 2), so it may be partly applied: what the statements before line 7 committed stays, and its version is not recorded"), message)
        XCTAssertFalse(message.contains("rolled back"), message)
        XCTAssertEqual(try harness.psql("SELECT count(*) FROM labels"), "2", "the committed part stays")
        XCTAssertEqual(try harness.psql("SELECT count(*) FROM schema_migrations"), "0", "not recorded")

        // Run again unchanged: the error says why its first statement meets what is there.
        let again = harness.dpm("migrate")
        XCTAssertEqual(again.status, 1)
        XCTAssertTrue(again.stderr.contains("failed at line 3 (CREATE TABLE labels (id serial PRIMARY KEY, name text NOT NULL)): ERROR:  relation \"labels\" already exists"), again.stderr)
        XCTAssertTrue(again.stderr.contains("if an earlier run of this file stopped partway, this may be what that run applied"), again.stderr)
        XCTAssertTrue(again.stderr.contains("nothing before it was committed"), again.stderr)

        // Made safe to run again, it completes and is recorded once.
        try harness.write("""
            BEGIN;
            CREATE TABLE IF NOT EXISTS labels (id serial PRIMARY KEY, name text NOT NULL);
            INSERT INTO labels (name) SELECT v FROM (VALUES ('urgent'), ('later')) AS seed(v)
              WHERE NOT EXISTS (SELECT 1 FROM labels WHERE name = v);
            COMMIT;
            ALTER TABLE labels ADD COLUMN IF NOT EXISTS colour text;
            CREATE INDEX IF NOT EXISTS labels_colour ON labels (colour);

            """, to: file)
        try dpmOK("migrate")
        XCTAssertEqual(try harness.psql("SELECT count(*) FROM labels"), "2")
        XCTAssertEqual(try harness.psql("SELECT version FROM schema_migrations"), "20260301000000")
    }

    func testAFileThatLeavesItsTransactionOpenIsRefusedBeforeItRuns() throws {
        try createTasks()
        try harness.write("BEGIN;\nCREATE TABLE labels (id int);\n", to: "db/migrations/20260301000000_open.sql")
        try harness.assertRefused(["migrate"], says: "The migration db/migrations/20260301000000_open.sql opens a transaction at line 1 (BEGIN) that it never ends")
        XCTAssertEqual(try harness.psql("SELECT count(*) FROM pg_class WHERE relname = 'labels'"), "0")
    }

    func testSquashReplaysFilesThatRunWithoutATransaction() throws {
        try harness.write("""
            CREATE TABLE schema_migrations (version text PRIMARY KEY);
            CREATE TABLE tasks (id bigserial PRIMARY KEY, title text NOT NULL, state text NOT NULL DEFAULT 'open');

            """, to: "db/migration-base/clean-db/schema.sql")
        try harness.write("""
            INSERT INTO schema_migrations VALUES ('20260101000000');
            INSERT INTO tasks (id, title) VALUES (1, 'write the seed data');
            SELECT setval('tasks_id_seq', 1);

            """, to: "db/migration-base/clean-db/data.sql")
        try harness.write(Self.concurrentIndex, to: "db/migrations/20260301000000_index_tasks.sql")
        try harness.write("""
            BEGIN;
            CREATE TABLE labels (id serial PRIMARY KEY, name text NOT NULL);
            INSERT INTO labels (name) VALUES ('urgent');
            COMMIT;
            BEGIN;
            ALTER TABLE tasks ADD COLUMN label_id int REFERENCES labels;
            COMMIT;

            """, to: "db/migrations/20260302000000_create_labels.sql")
        try harness.write("ALTER TABLE tasks ADD COLUMN due date;\n", to: "db/migrations/20260303000000_add_due.sql")
        try dpmOK("profile", "create", "user-generated", "--kind", "shared")
        try dpmOK("restore", "clean-db")
        try dpmOK("migrate", "--to", "20260302000000")
        try dpmOK("upload", "user-generated")

        let run = harness.dpm("squash", "--yes", "--json")
        XCTAssertEqual(run.status, 0, run.stderr)
        let plan = try JSONDecoder().decode(SquashPlan.self, from: Data(run.stdout.utf8))
        XCTAssertEqual(plan.squashed.map(\.version), ["20260301000000", "20260302000000"])
        XCTAssertEqual(plan.baseFrom, "snapshot", "the source's schema, split into its sections")
        XCTAssertEqual(plan.dataFile.action, "rewritten", "the labels row a migration added becomes seed data")
        let schema = String(decoding: harness.read("db/migration-base/clean-db/schema.sql") ?? Data(), as: UTF8.self)
        let parts = schema.components(separatedBy: "\n-- dpm:post-data\n")
        XCTAssertEqual(parts.count, 2, schema)
        XCTAssertTrue(parts[0].contains("INSERT INTO public.schema_migrations (version) VALUES"), parts[0])
        XCTAssertTrue(parts.last?.contains("CREATE INDEX tasks_title ON public.tasks USING btree (title);") == true, schema)
        XCTAssertTrue(parts.last?.contains("FOREIGN KEY (label_id) REFERENCES public.labels(id)") == true, schema)

        try dpmOK("restore", "clean-db", "--force")
        XCTAssertEqual(try harness.psql("SELECT count(*) FROM labels"), "1")
        let dry = harness.dpm("migrate", "--dry-run")
        XCTAssertTrue(dry.stdout.contains("20260303000000_add_due"), dry.stdout)
        try dpmOK("migrate")
        XCTAssertEqual(try harness.psql("SELECT count(*) FROM pg_indexes WHERE indexname IN ('tasks_title', 'tasks_state')"), "2")
    }
}
