import DatasetKit
import Foundation
import XCTest

/// A clean profile keeps its schema and seed data in git; whatever a real database holds, its
/// files must restore what pg_restore of a dump of that database gives.
final class CleanProfileLoadTests: XCTestCase {
    private var harness: Harness!

    override func setUpWithError() throws { harness = try Harness() }
    override func tearDown() { harness?.tearDown() }

    /// Patterns of real applications' schemas that a schema-then-data load cannot take:
    /// circular foreign keys (one DEFERRABLE), a self reference, a foreign key declared on a
    /// partitioned table, a NOT VALID check that old rows violate, a trigger that must not
    /// fire on seed data, and a materialized view over the data.
    static let realSchema = """
    CREATE TABLE schema_migrations (version text PRIMARY KEY);
    INSERT INTO schema_migrations VALUES ('20260101000000'), ('20260115000000');
    CREATE TABLE users (id int PRIMARY KEY, name text NOT NULL, mentor_id int REFERENCES users, team_id int);
    CREATE TABLE teams (id int PRIMARY KEY, name text NOT NULL, owner_id int NOT NULL REFERENCES users DEFERRABLE INITIALLY DEFERRED);
    ALTER TABLE users ADD CONSTRAINT users_team_fk FOREIGN KEY (team_id) REFERENCES teams DEFERRABLE;
    CREATE TABLE notes (id int, author_id int REFERENCES users, kind text, body text, PRIMARY KEY (id, kind)) PARTITION BY LIST (kind);
    CREATE TABLE notes_a PARTITION OF notes FOR VALUES IN ('a');
    CREATE TABLE notes_b PARTITION OF notes FOR VALUES IN ('b');
    CREATE INDEX notes_author ON notes (author_id);
    INSERT INTO users (id, name, mentor_id) SELECT i, 'user ' || i, CASE WHEN i > 1 THEN i - 1 END FROM generate_series(1, 40) i;
    INSERT INTO teams SELECT i, 'team ' || i, i * 7 FROM generate_series(1, 5) i;
    UPDATE users SET team_id = 1 + id % 5;
    INSERT INTO users (id, name) VALUES (0, 'a legacy name far too long for the new rule');
    ALTER TABLE users ADD CONSTRAINT users_name_short CHECK (length(name) < 20) NOT VALID;
    CREATE FUNCTION stamp_body() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN NEW.body := NEW.body || ' (edited)'; RETURN NEW; END $$;
    CREATE TRIGGER notes_stamp BEFORE INSERT OR UPDATE ON notes FOR EACH ROW EXECUTE FUNCTION stamp_body();
    INSERT INTO notes SELECT i, 1 + i % 40, (ARRAY['a', 'b'])[1 + i % 2], 'note ' || i FROM generate_series(1, 200) i;
    CREATE MATERIALIZED VIEW note_counts AS SELECT author_id, count(*) AS n FROM notes GROUP BY author_id;
    CREATE UNIQUE INDEX note_counts_author ON note_counts (author_id);
    """

    private func dump(_ database: String, _ arguments: [String]) throws -> String {
        let run = harness.command("pg_dump", ["--no-owner", "--no-privileges"] + arguments + [database])
        XCTAssertEqual(run.status, 0, run.stderr)
        return run.stdout.split(separator: "\n", omittingEmptySubsequences: false)
            .filter { !$0.hasPrefix("\\restrict") && !$0.hasPrefix("\\unrestrict") }.joined(separator: "\n")
    }

    /// Restores `source` as the clean profile's files and with pg_restore, and compares both.
    private func assertCleanProfileRestoresLikePgRestore(_ source: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let byDPM = "\(harness.prefix)_by_dpm", byPgRestore = "\(harness.prefix)_by_pg_restore"
        let restore = harness.dpm("restore", "clean-db", "--into", byDPM)
        XCTAssertEqual(restore.status, 0, restore.stderr, file: file, line: line)
        let folder = "\(harness.root)/plain-dump"
        XCTAssertEqual(harness.command("pg_dump", ["-Fd", "-Z0", "-f", folder, source]).status, 0, file: file, line: line)
        try harness.psql("CREATE DATABASE \"\(byPgRestore)\" TEMPLATE template0", in: "postgres")
        let plain = harness.command("pg_restore", ["--no-owner", "--no-privileges", "--exit-on-error", "-d", byPgRestore, folder])
        XCTAssertEqual(plain.status, 0, plain.stderr, file: file, line: line)
        XCTAssertEqual(try dump(byDPM, ["--schema-only"]), try dump(byPgRestore, ["--schema-only"]), "schema", file: file, line: line)
        XCTAssertEqual(try dump(byDPM, ["--data-only"]), try dump(byPgRestore, ["--data-only"]), "data", file: file, line: line)
        XCTAssertEqual(try harness.databases().filter { $0.contains("__dpm_") }, [], "no scratch databases left", file: file, line: line)
    }

    /// The schema DumpLoadTests restores from the store (in UTF-8: keeping a source's
    /// encoding is another matter), here through a clean profile's files.
    func testTheTrickySchemaAsACleanProfileRestoresAsPgRestoreDoes() throws {
        let source = "\(harness.prefix)_tricky"
        try harness.psql("CREATE DATABASE \"\(source)\" TEMPLATE template0", in: "postgres")
        try harness.psql(DumpLoadTests.trickySchema, in: source)
        let upload = harness.dpm("upload", "clean-db", "--from", "dbname=\(source)")
        XCTAssertEqual(upload.status, 0, upload.stderr)
        try assertCleanProfileRestoresLikePgRestore(source)
        let counts = "SELECT string_agg(colour || ':' || n, ',' ORDER BY colour) FROM colour_counts"
        XCTAssertEqual(try harness.psql(counts, in: "\(harness.prefix)_by_dpm"), try harness.psql(counts, in: source), "the materialized view is filled")
    }

    func testACleanProfileOfARealSchemaRestoresAsPgRestoreDoes() throws {
        let source = "\(harness.prefix)_source"
        try harness.psql("CREATE DATABASE \"\(source)\"", in: "postgres")
        try harness.psql(Self.realSchema, in: source)

        let upload = harness.dpm("upload", "clean-db", "--from", "dbname=\(source)")
        XCTAssertEqual(upload.status, 0, upload.stderr)
        let schema = String(decoding: harness.read("db/migration-base/clean-db/schema.sql") ?? Data(), as: UTF8.self)
        let parts = schema.components(separatedBy: "\n-- dpm:post-data\n")
        XCTAssertEqual(parts.count, 2, "one marker line divides schema.sql: \(schema)")
        XCTAssertTrue(parts[0].contains("CREATE TABLE public.teams"), parts[0])
        XCTAssertFalse(parts[0].contains("FOREIGN KEY"), "foreign keys load after the data")
        XCTAssertFalse(parts[0].contains("CREATE TRIGGER"), "triggers load after the data")
        XCTAssertTrue(parts.last?.contains("ADD CONSTRAINT users_team_fk FOREIGN KEY (team_id) REFERENCES public.teams(id) DEFERRABLE") == true, schema)
        XCTAssertTrue(parts.last?.contains("REFRESH MATERIALIZED VIEW public.note_counts;") == true, schema)
        XCTAssertEqual(try harness.databases().filter { $0.contains("__dpm_") }, [], "the scratch database of the check is gone")

        try assertCleanProfileRestoresLikePgRestore(source)
        let byDPM = "\(harness.prefix)_by_dpm", byPgRestore = "\(harness.prefix)_by_pg_restore"
        let counts = "SELECT string_agg(author_id || ':' || n, ',' ORDER BY author_id) FROM note_counts"
        XCTAssertEqual(try harness.psql(counts, in: byDPM), try harness.psql(counts, in: byPgRestore), "the materialized view is filled")
        XCTAssertEqual(try harness.psql("SELECT count(*) FROM notes WHERE body LIKE '%(edited) (edited)'", in: byDPM), "0",
                       "the trigger did not fire on seed data")

        // use and migrations status load the same files.
        let use = harness.dpm("use", "clean-db")
        XCTAssertEqual(use.status, 0, use.stderr)
        XCTAssertEqual(try harness.psql("SELECT count(*) FROM notes_b"), "100")
        let status = harness.dpm("migrations", "status", "clean-db")
        XCTAssertEqual(status.status, 0, status.stderr)
        XCTAssertTrue(status.stdout.contains("clean-db"), status.stdout)
    }

    func testTheIssuesReproductionUploadsAndRestores() throws {
        let source = "\(harness.prefix)_fkpart"
        try harness.psql("CREATE DATABASE \"\(source)\"", in: "postgres")
        try harness.psql("""
            create table users(id int primary key);
            create table notes(id int, author_id int references users, kind text, primary key(id,kind)) partition by list(kind);
            create table notes_a partition of notes for values in ('a');
            insert into users values (1);
            insert into notes values (1,1,'a');
            """, in: source)
        let upload = harness.dpm("upload", "clean-db", "--from", "dbname=\(source)")
        XCTAssertEqual(upload.status, 0, upload.stderr)
        let restore = harness.dpm("restore", "clean-db", "--into", "\(harness.prefix)_x")
        XCTAssertEqual(restore.status, 0, restore.stderr)
        XCTAssertEqual(try harness.psql("SELECT author_id FROM notes", in: "\(harness.prefix)_x"), "1")
    }

    /// An upload whose files would not load writes nothing: here a CHECK calls a function
    /// that reads another table, whose rows pg_dump orders after the checked table's.
    func testAnUploadWhoseFilesDoNotLoadWritesNothing() throws {
        let source = "\(harness.prefix)_unloadable"
        try harness.psql("CREATE DATABASE \"\(source)\"", in: "postgres")
        try harness.psql("""
            CREATE TABLE zz_codes (code text PRIMARY KEY);
            CREATE FUNCTION code_known(text) RETURNS boolean LANGUAGE sql STABLE
              AS $$ SELECT EXISTS (SELECT 1 FROM public.zz_codes WHERE code = $1) $$;
            CREATE TABLE items (id int PRIMARY KEY, code text CHECK (public.code_known(code)));
            INSERT INTO zz_codes VALUES ('a'), ('b');
            INSERT INTO items VALUES (1, 'a'), (2, 'b');
            """, in: source)
        try harness.assertRefused(["upload", "clean-db", "--from", "dbname=\(source)"],
                                  says: "The data.sql dumped from \(source) does not load into an empty database (")
        let run = harness.dpm("upload", "clean-db", "--from", "dbname=\(source)")
        XCTAssertTrue(run.stderr.contains("violates check constraint"), run.stderr)
        XCTAssertTrue(run.stderr.contains("so dpm wrote nothing for the clean profile clean-db"), run.stderr)
        XCTAssertNil(harness.read("profiles/clean-db/manifest.json"))
    }
}
