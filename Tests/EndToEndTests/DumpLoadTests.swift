import DatasetKit
import Foundation
import XCTest

/// `dpm restore` loads table data itself and schedules pg_restore for the rest; whatever the
/// schema, the result must be what a plain pg_restore of the same dump gives.
final class DumpLoadTests: XCTestCase {
    private var harness: Harness!

    override func setUpWithError() throws { harness = try Harness() }
    override func tearDown() { harness?.tearDown() }

    /// Shapes that pg_restore treats specially: a Latin-1 source, generated and dropped
    /// columns, mixed-case and spaced names, a partitioned table, a trigger that must not fire
    /// while data loads, a NOT VALID check, a materialized view with an index, an event
    /// trigger, a large object, comments, and enough small tables that several share a pg_restore.
    static let trickySchema = """
    CREATE TYPE colour AS ENUM ('red', 'green');
    CREATE TABLE parent (id int PRIMARY KEY, "Mixed Case" text, doubled int GENERATED ALWAYS AS (id * 2) STORED,
                         dropped text, colour colour);
    ALTER TABLE parent DROP COLUMN dropped;
    COMMENT ON TABLE parent IS 'the parent table';
    CREATE TABLE "table with space" (id serial PRIMARY KEY, parent_id int REFERENCES parent(id), payload jsonb);
    CREATE INDEX payload_keys ON "table with space" ((payload->>'k'));
    CREATE TABLE measurements (id int, at date NOT NULL, v numeric) PARTITION BY RANGE (at);
    CREATE TABLE measurements_2026 PARTITION OF measurements FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');
    CREATE TABLE measurements_2027 PARTITION OF measurements FOR VALUES FROM ('2027-01-01') TO ('2028-01-01');
    CREATE INDEX measurements_at ON measurements (at);
    CREATE FUNCTION shout() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN NEW."Mixed Case" := upper(NEW."Mixed Case"); RETURN NEW; END $$;
    INSERT INTO parent (id, "Mixed Case", colour) SELECT i, 'quiet ' || i || U&' \\00E7\\00E0', (ARRAY['red','green'])[1 + i % 2]::colour
      FROM generate_series(1, 400) i;
    CREATE TRIGGER parent_shout BEFORE INSERT OR UPDATE ON parent FOR EACH ROW EXECUTE FUNCTION shout();
    ALTER TABLE parent ADD CONSTRAINT small_ids CHECK (id < 100000) NOT VALID;
    INSERT INTO "table with space" (parent_id, payload) SELECT 1 + i % 400, jsonb_build_object('k', i) FROM generate_series(1, 900) i;
    INSERT INTO measurements SELECT i, DATE '2026-06-01' + i, i / 7.0 FROM generate_series(1, 500) i;
    CREATE MATERIALIZED VIEW colour_counts AS SELECT colour, count(*) AS n FROM parent GROUP BY colour;
    CREATE UNIQUE INDEX colour_counts_colour ON colour_counts (colour);
    CREATE FUNCTION ddl_noted() RETURNS event_trigger LANGUAGE plpgsql AS $$ BEGIN END $$;
    CREATE EVENT TRIGGER ddl_noted ON ddl_command_end EXECUTE FUNCTION ddl_noted();
    SELECT lo_from_bytea(424242, 'large object bytes');
    SELECT setval('"table with space_id_seq"', 5000);
    DO $$ BEGIN FOR i IN 1..30 LOOP
      EXECUTE format('CREATE TABLE small_%s (id int PRIMARY KEY, label text UNIQUE)', i);
      EXECUTE format('INSERT INTO small_%s SELECT g, %L || g FROM generate_series(1, %s) g', i, 'label ', i * 3);
    END LOOP; END $$;
    """

    /// pg_dump output without the random `\\restrict` keys of newer client tools.
    private func dump(_ database: String, _ arguments: [String]) throws -> String {
        let run = harness.command("pg_dump", ["--no-owner", "--no-privileges"] + arguments + [database])
        XCTAssertEqual(run.status, 0, run.stderr)
        return run.stdout.split(separator: "\n", omittingEmptySubsequences: false)
            .filter { !$0.hasPrefix("\\restrict") && !$0.hasPrefix("\\unrestrict") }.joined(separator: "\n")
    }

    /// Restores `database` with dpm and with pg_restore, and compares schema and data.
    private func assertDPMRestoresLikePgRestore(_ database: String, file: StaticString = #filePath, line: UInt = #line) throws {
        XCTAssertEqual(harness.dpm("profile", "create", "tricky", "--kind", "shared").status, 0)
        let upload = harness.dpm("upload", "tricky", "--from", "dbname=\(database)")
        XCTAssertEqual(upload.status, 0, upload.stderr, file: file, line: line)
        let byDPM = "\(harness.prefix)_by_dpm", byPgRestore = "\(harness.prefix)_by_pg_restore"
        let restore = harness.dpm("restore", "tricky", "--into", byDPM)
        XCTAssertEqual(restore.status, 0, restore.stderr, file: file, line: line)

        let folder = "\(harness.root)/plain-dump"
        XCTAssertEqual(harness.command("pg_dump", ["-Fd", "-Z0", "-f", folder, database]).status, 0)
        // Like pg_restore --create: a database of the source's encoding and collation.
        let like = try harness.psql("SELECT format('ENCODING %L LC_COLLATE %L LC_CTYPE %L', pg_encoding_to_char(encoding), datcollate, datctype) FROM pg_database WHERE datname = '\(database)'", in: "postgres")
        try harness.psql("CREATE DATABASE \"\(byPgRestore)\" TEMPLATE template0 \(like)", in: "postgres")
        let plain = harness.command("pg_restore", ["--no-owner", "--no-privileges", "--exit-on-error", "-d", byPgRestore, folder])
        XCTAssertEqual(plain.status, 0, plain.stderr, file: file, line: line)

        let schema = try dump(byDPM, ["--schema-only"])
        XCTAssertEqual(schema, try dump(byPgRestore, ["--schema-only"]), "schema", file: file, line: line)
        XCTAssertEqual(try dump(byDPM, ["--data-only"]), try dump(byPgRestore, ["--data-only"]), "data", file: file, line: line)
        XCTAssertEqual(try harness.databases().filter { $0.contains("__dpm_") }, [], "no scratch databases left", file: file, line: line)
    }

    func testTrickySchemaRestoresExactlyAsPgRestoreDoes() throws {
        let source = "\(harness.prefix)_latin1"
        try harness.psql("CREATE DATABASE \"\(source)\" ENCODING 'LATIN1' LC_COLLATE 'C' LC_CTYPE 'C' TEMPLATE template0", in: "postgres")
        try harness.psql(Self.trickySchema, in: source)
        try assertDPMRestoresLikePgRestore(source)

        let byDPM = "\(harness.prefix)_by_dpm"
        XCTAssertEqual(try harness.psql("SELECT pg_encoding_to_char(encoding) FROM pg_database WHERE datname = '\(byDPM)'", in: "postgres"), "LATIN1")
        XCTAssertEqual(try harness.psql("SELECT count(*) FROM parent WHERE \"Mixed Case\" LIKE U&'quiet % \\00E7\\00E0'", in: byDPM), "400",
                       "the trigger did not fire while the data loaded, and Latin-1 text arrived intact")
        XCTAssertEqual(try harness.psql("SELECT n FROM colour_counts ORDER BY colour", in: byDPM), "200\n200", "the view was refreshed")
        XCTAssertEqual(try harness.psql("SELECT convert_from(lo_get(424242), 'UTF8')", in: byDPM), "large object bytes")
        XCTAssertEqual(try harness.psql("SELECT count(*) FROM pg_event_trigger WHERE evtname = 'ddl_noted'", in: byDPM), "1")
    }

    /// A name with a line break makes pg_restore's COPY statement span lines: dpm lets
    /// pg_restore load such a dump from files instead.
    func testNameWithALineBreakFallsBackToPgRestoreLoadingFiles() throws {
        let source = "\(harness.prefix)_odd"
        try harness.psql("CREATE DATABASE \"\(source)\"", in: "postgres")
        try harness.psql("""
            CREATE TABLE "two\nlines" (id int PRIMARY KEY, "col\numn" text);
            INSERT INTO "two\nlines" SELECT i, 'row ' || i FROM generate_series(1, 50) i;
            CREATE TABLE plain (id int PRIMARY KEY);
            INSERT INTO plain SELECT generate_series(1, 20);
            """, in: source)
        try assertDPMRestoresLikePgRestore(source)
    }
}
