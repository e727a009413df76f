import DatasetKit
import Foundation
@testable import Postgres
import XCTest

/// The catalog read from a dump's entries against the one read from the database it was
/// dumped from, field by field, on a schema with what real applications have.
final class ArchiveCatalogComparisonTests: XCTestCase {
    static let schema = #"""
    CREATE EXTENSION citext;
    CREATE SCHEMA billing;
    CREATE SCHEMA "Odd Schema";
    CREATE TYPE public.mood AS ENUM ('happy', 'sad');
    CREATE TYPE billing.currency AS ENUM ('EUR', 'USD');
    CREATE DOMAIN public.email_address AS citext NOT NULL CHECK (VALUE LIKE '%@%');
    CREATE DOMAIN public.short_code AS character varying(12);
    CREATE DOMAIN public.strict_code AS public.short_code NOT NULL;
    CREATE DOMAIN billing.amount AS numeric(10,2) CHECK (VALUE >= 0);
    CREATE DOMAIN public.tag_list AS text[];
    CREATE TYPE public.address AS (street text, city text COLLATE "C");

    -- Accounts and users refer to each other: an account's owner is one of its users.
    CREATE TABLE public.accounts (
        id bigserial PRIMARY KEY,
        name text NOT NULL,
        owner_id bigint,
        plan character(8) DEFAULT 'free',
        code public.strict_code,
        tags text[],
        labels public.tag_list,
        moods public.mood[],
        codes public.short_code[],
        created_at timestamp(3) with time zone DEFAULT now()
    );
    CREATE TABLE public.users (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        account_id bigint NOT NULL REFERENCES public.accounts (id),
        email public.email_address UNIQUE,
        "Full Name" character varying(255) COLLATE "C" DEFAULT 'a, (b) ''c'' -- not a comment',
        legacy_password text,
        current_mood public.mood DEFAULT 'happy',
        "weird""name" integer CHECK ("weird""name" > 0),
        "select" boolean,
        balance billing.amount DEFAULT 0,
        name_upper text GENERATED ALWAYS AS (upper("Full Name"::text)) STORED,
        "postalCode" text NOT NULL DEFAULT concat('a', 'b,c', E'd\'e'),
        CONSTRAINT users_balance_check CHECK (balance < 1000000)
    );
    ALTER TABLE public.users DROP COLUMN legacy_password;
    ALTER TABLE public.accounts ADD CONSTRAINT accounts_owner_fk FOREIGN KEY (owner_id) REFERENCES public.users (id)
        DEFERRABLE INITIALLY DEFERRED;
    CREATE UNIQUE INDEX users_lower_name ON public.users (lower("Full Name"::text), account_id);
    CREATE UNIQUE INDEX users_id_including ON public.users (id) INCLUDE ("select");
    CREATE UNIQUE INDEX users_weird_name ON public.users ("weird""name") WHERE "select";
    CREATE UNIQUE INDEX users_generated ON public.users (name_upper, "postalCode" text_pattern_ops DESC NULLS LAST);

    -- Orders by date, then by region: two levels of partitions, one attached with its own column order.
    CREATE TABLE public.orders (
        id bigint NOT NULL,
        created_at date NOT NULL,
        region text NOT NULL,
        user_id bigint REFERENCES public.users (id),
        total billing.amount,
        currency billing.currency NOT NULL DEFAULT 'EUR',
        PRIMARY KEY (id, created_at, region)
    ) PARTITION BY RANGE (created_at);
    CREATE TABLE public.orders_2024 PARTITION OF public.orders
        FOR VALUES FROM ('2024-01-01') TO ('2025-01-01') PARTITION BY LIST (region);
    CREATE TABLE public.orders_2024_eu PARTITION OF public.orders_2024 FOR VALUES IN ('eu');
    CREATE TABLE public.orders_2024_other PARTITION OF public.orders_2024 DEFAULT;
    CREATE TABLE public.orders_2025 (currency billing.currency NOT NULL DEFAULT 'EUR', region text NOT NULL, total billing.amount,
                                     user_id bigint, created_at date NOT NULL, id bigint NOT NULL);
    ALTER TABLE public.orders ATTACH PARTITION public.orders_2025 FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');

    -- Order lines, partitioned too, refer to the partitioned orders.
    CREATE TABLE public."Order Items" (
        order_id bigint NOT NULL,
        order_created date NOT NULL,
        order_region text NOT NULL,
        "Line" integer NOT NULL,
        sku text,
        PRIMARY KEY (order_id, order_created, order_region, "Line"),
        FOREIGN KEY (order_id, order_created, order_region) REFERENCES public.orders (id, created_at, region)
    ) PARTITION BY HASH (order_id);
    CREATE TABLE public."Order Items_0" PARTITION OF public."Order Items" FOR VALUES WITH (MODULUS 2, REMAINDER 0);
    CREATE TABLE public."Order Items_1" PARTITION OF public."Order Items" FOR VALUES WITH (MODULUS 2, REMAINDER 1);
    CREATE UNIQUE INDEX order_items_sku ON public."Order Items" (sku, order_id, order_created, order_region, "Line");
    CREATE TABLE public.refunds (id serial PRIMARY KEY, order_id bigint, order_created date, order_region text,
        FOREIGN KEY (order_id, order_created, order_region) REFERENCES public.orders (id, created_at, region));

    CREATE TABLE public.events (id bigint, at timestamptz, kind text, zone text)
        PARTITION BY RANGE ((date_trunc('day', at AT TIME ZONE 'UTC')), kind);
    CREATE TABLE public.events_2025 PARTITION OF public.events
        FOR VALUES FROM ('2025-01-01', MINVALUE) TO ('2026-01-01', MAXVALUE);

    CREATE UNLOGGED TABLE public.sessions (token text PRIMARY KEY, user_id bigint REFERENCES public.users (id) ON DELETE CASCADE,
                                           data jsonb, ip inet);
    CREATE TABLE billing.invoices (
        id uuid PRIMARY KEY,
        "accountId" bigint REFERENCES public.accounts (id),
        amount numeric(10,2) NOT NULL,
        mood public.mood,
        "order" integer,
        UNIQUE NULLS NOT DISTINCT ("accountId", "order")
    );
    CREATE TABLE "Odd Schema"."Mixed.Case" ("Id" integer PRIMARY KEY, "a,b" text, "user" text, "Ref" uuid REFERENCES billing.invoices);
    -- A log whose data the dump leaves out.
    CREATE TABLE public.audit_log (id bigserial PRIMARY KEY, message text, at timestamp without time zone);
    CREATE TABLE public.base_items (id integer NOT NULL, label text);
    CREATE TABLE public.child_items (extra text) INHERITS (public.base_items);
    ALTER TABLE ONLY public.child_items ALTER COLUMN label SET NOT NULL;
    -- The child has it last; restored from the dump it would have it before extra: only its COPY tells.
    ALTER TABLE public.base_items ADD COLUMN added_later integer;
    CREATE TABLE public.addresses OF public.address (street WITH OPTIONS NOT NULL, PRIMARY KEY (street));
    CREATE TABLE public.singleton (one boolean);
    CREATE UNIQUE INDEX singleton_one_row ON public.singleton ((true));
    CREATE TABLE public.duplicates (code text);
    INSERT INTO public.duplicates VALUES ('a'), ('a');
    CREATE MATERIALIZED VIEW public.account_names AS SELECT id, name FROM public.accounts;
    CREATE UNIQUE INDEX account_names_id ON public.account_names (id);
    CREATE VIEW public.user_emails AS SELECT id, email FROM public.users;

    -- Types of every spelling, names that need quotes or look like keywords and types, the
    -- statements pg_dump adds after a CREATE TABLE, two parents, a parent that changed.
    CREATE TYPE public."My Type" AS ENUM ('a');
    CREATE TYPE "Odd Schema".t AS (x int);
    CREATE DOMAIN "Odd Schema"."Dom" AS citext[] NOT NULL;
    CREATE TABLE public."café" ("naïve" text PRIMARY KEY, "text" text, "int" integer, zone text, at timestamptz,
        c1 "char", c2 bit varying(5), c3 interval day to second(3), c4 time(2) with time zone, c5 character(1)[], c6 numeric[],
        c7 double precision, c8 money, c9 xml, c10 tsvector, c11 point, c12 int4range, c13 public."My Type", c14 "Odd Schema".t,
        c15 "Odd Schema"."Dom", c16 citext[], c17 serial, c18 int GENERATED BY DEFAULT AS IDENTITY, c19 interval year to month);
    CREATE UNIQUE INDEX ON public."café" (((text || 'x'::text)));
    CREATE UNIQUE INDEX ON public."café" ((lower("naïve")) COLLATE "C" text_pattern_ops DESC);
    CREATE UNIQUE INDEX ON public."café" ((at AT TIME ZONE 'UTC'), "int");
    ALTER TABLE public."café" ENABLE ROW LEVEL SECURITY;
    ALTER TABLE public."café" REPLICA IDENTITY FULL;
    ALTER TABLE public."café" ALTER COLUMN "text" SET STORAGE EXTERNAL;
    ALTER TABLE public."café" ALTER COLUMN "int" SET STATISTICS 500;
    ALTER TABLE public."café" ALTER COLUMN zone SET (n_distinct = 5);
    ALTER TABLE public."café" SET (fillfactor = 70);
    ALTER TABLE public."café" ADD CONSTRAINT not_yet CHECK ("int" > 0) NOT VALID;
    ALTER TABLE public."café" ADD CONSTRAINT excl EXCLUDE USING btree ("int" WITH =);
    ALTER TABLE public."café" ADD CONSTRAINT defer UNIQUE (zone) DEFERRABLE INITIALLY DEFERRED;
    CREATE TABLE public.p1 (a int NOT NULL, b text);
    CREATE TABLE public.p2 (b text NOT NULL, c int);
    CREATE TABLE public.multi (d int) INHERITS (public.p1, public.p2);
    CREATE TABLE public.parted (x int, dropme int, y text, z int) PARTITION BY LIST (y text_pattern_ops);
    ALTER TABLE public.parted DROP COLUMN dropme;
    CREATE TABLE public.parted_a PARTITION OF public.parted FOR VALUES IN ('a');
    ALTER TABLE public.parted ADD COLUMN w int;
    CREATE TABLE public.hashed (k bigint, v text) PARTITION BY HASH (k, (lower(v)));
    CREATE TABLE public.hashed_0 PARTITION OF public.hashed FOR VALUES WITH (modulus 1, remainder 0);
    CREATE TABLE public."WITH" ("DEFAULT" int, "not" text, "null" text, generated text, "collate" text, "check" text, "constraint" text);

    INSERT INTO public.accounts (name, code) VALUES ('a', 'x');
    INSERT INTO public.users (account_id, email, "Full Name") VALUES (1, 'ann@example.com', 'Ann');
    INSERT INTO public.audit_log (message) VALUES ('never dumped');
    """#

    func testTheCatalogOfADumpIsTheCatalogOfItsDatabase() throws {
        guard ProcessInfo.processInfo.environment["PGHOST"] != nil else {
            if ProcessInfo.processInfo.environment["DPM_TEST_REQUIRE_SERVICES"] == "1" { return XCTFail("PGHOST is not set") }
            throw XCTSkip("No PostgreSQL; run shell/test.sh.")
        }
        let server = PostgresServer(settings: try ConnectionSettings(conninfo: nil))
        let database = "dpm_pgtest_\(randomSuffix())_catalog"
        try server.createDatabase(database)
        defer { try? server.dropDatabase(database) }
        try server.connect(database).execute(Self.schema)
        // Unique indexes that failed to build: PostgreSQL keeps them, pg_dump does not dump them.
        // One failed at once (not ready); one as if it had failed while being validated (ready,
        // not valid), which takes a race to make otherwise.
        XCTAssertThrowsError(try server.connect(database).query("CREATE UNIQUE INDEX CONCURRENTLY duplicates_code ON public.duplicates (code)"))
        try server.connect(database).execute("""
            CREATE UNIQUE INDEX half_built ON public.refunds (order_id, id);
            UPDATE pg_catalog.pg_index SET indisvalid = false WHERE indexrelid = 'public.half_built'::regclass;
            """)

        let live = try TableColumns.read(from: server, database: database)
        let schemaOnly = try dump(database, ["--schema-only"])
        let withData = try dump(database, ["--exclude-table-data=public.audit_log"])
        let entries = PlainDumpEntries.entries(schema: schemaOnly, data: withData)
        XCTAssertTrue(entries.contains { $0.desc == "TABLE DATA" && $0.tag == "users" }, "the splitter found the data entries")
        XCTAssertFalse(entries.contains { $0.desc == "TABLE DATA" && $0.tag == "audit_log" })
        assertSame(try TableColumns.read(fromArchive: entries), live)
        // Partitions' data loaded through their root: each COPY names the root, in the partition's column order.
        let throughRoot = try dump(database, ["--exclude-table-data=public.audit_log", "--load-via-partition-root"])
        XCTAssertTrue(throughRoot.contains("COPY public.orders (currency, region, total, user_id, created_at, id) FROM stdin;"))
        assertSame(try TableColumns.read(fromArchive: PlainDumpEntries.entries(schema: schemaOnly, data: throughRoot)), live)

        // What both must say, so that agreeing on something wrong fails too.
        let users = QualifiedTable(schema: "public", table: "users")
        let accounts = QualifiedTable(schema: "public", table: "accounts")
        let orders = QualifiedTable(schema: "public", table: "orders")
        XCTAssertEqual(live.columns[users], [
            .init(name: "id", type: "bigint", notNull: true), .init(name: "account_id", type: "bigint", notNull: true),
            .init(name: "email", type: "public.citext", notNull: true), .init(name: "Full Name", type: "character varying(255)"),
            .init(name: "current_mood", type: "public.mood"), .init(name: "weird\"name", type: "integer"),
            .init(name: "select", type: "boolean"), .init(name: "balance", type: "numeric(10,2)"),
            .init(name: "postalCode", type: "text", notNull: true),
        ])
        XCTAssertEqual(live.columns[accounts]?.map(\.type), [
            "bigint", "text", "bigint", "character(8)", "character varying(12)", "text[]", "text[]", "public.mood[]",
            "public.short_code[]", "timestamp(3) with time zone",
        ])
        XCTAssertEqual(live.columns[accounts]?.first { $0.name == "code" }?.notNull, true, "NOT NULL of a domain's domain")
        XCTAssertEqual(live.columns[QualifiedTable(schema: "public", table: "orders_2025")]?.map(\.name),
                       ["currency", "region", "total", "user_id", "created_at", "id"])
        XCTAssertEqual(live.columns[QualifiedTable(schema: "public", table: "audit_log")]?.map(\.name), ["id", "message", "at"])
        XCTAssertEqual(live.columns[QualifiedTable(schema: "public", table: "child_items")],
                       [.init(name: "id", type: "integer", notNull: true), .init(name: "label", type: "text", notNull: true),
                        .init(name: "extra", type: "text"), .init(name: "added_later", type: "integer")])
        XCTAssertEqual(live.columns[QualifiedTable(schema: "public", table: "addresses")],
                       [.init(name: "street", type: "text", notNull: true), .init(name: "city", type: "text")])
        XCTAssertNil(live.columns[QualifiedTable(schema: "public", table: "account_names")], "a materialized view is no table")
        XCTAssertEqual(live.ancestors[QualifiedTable(schema: "public", table: "orders_2024_eu")],
                       [QualifiedTable(schema: "public", table: "orders_2024"), orders])
        XCTAssertEqual(live.partitionKeys[QualifiedTable(schema: "public", table: "events")], ["at", "kind"])
        XCTAssertEqual(live.partitionKeys[QualifiedTable(schema: "public", table: "orders_2024")], ["region"])
        XCTAssertEqual(live.unique[users], [["email"], ["name_upper", "postalCode"], ["id"], ["Full Name", "account_id"], ["id"],
                                            ["weird\"name"]])
        XCTAssertEqual(live.unique[QualifiedTable(schema: "billing", table: "invoices")], [["accountId", "order"], ["id"]])
        XCTAssertNil(live.unique[QualifiedTable(schema: "public", table: "singleton")], "a key on an expression without columns")
        XCTAssertNil(live.unique[QualifiedTable(schema: "public", table: "duplicates")], "an index that is not ready is not dumped")
        XCTAssertEqual(live.unique[QualifiedTable(schema: "public", table: "refunds")], [["id"]], "an invalid index is not dumped")
        XCTAssertEqual(live.foreignKeys.filter { $0.referenced == orders }.map(\.table),
                       [QualifiedTable(schema: "public", table: "Order Items"), QualifiedTable(schema: "public", table: "refunds")],
                       "one key per foreign key of a partitioned table, none per partition")
        XCTAssertEqual(live.foreignKeys.count, 8)
        XCTAssertEqual(live.columns[QualifiedTable(schema: "public", table: "café")]?.first { $0.name == "c15" },
                       .init(name: "c15", type: "public.citext[]", notNull: true))
        XCTAssertEqual(live.unique[QualifiedTable(schema: "public", table: "café")], [["text"], ["naïve"], ["naïve"], ["at", "int"], ["zone"]])
        XCTAssertEqual(live.partitionKeys[QualifiedTable(schema: "public", table: "hashed")], ["k", "v"])
        XCTAssertEqual(live.columns[QualifiedTable(schema: "public", table: "multi")]?.map(\.name), ["a", "b", "c", "d"])

        // The live catalog does not depend on the search_path of whoever reads it.
        try server.connect(database).query("ALTER DATABASE \(SQL.identifier(database)) SET search_path = billing, \"Odd Schema\"")
        let elsewhere = try TableColumns.read(from: server, database: database)
        XCTAssertEqual(elsewhere.columns, live.columns)
        XCTAssertEqual(elsewhere.unique, live.unique)
    }

    private func assertSame(_ archive: TableColumns, _ live: TableColumns, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(archive.columns.keys.sorted(), live.columns.keys.sorted(), file: file, line: line)
        for table in live.columns.keys.sorted() {
            XCTAssertEqual(archive.columns[table], live.columns[table], "columns of \(table)", file: file, line: line)
        }
        XCTAssertEqual(archive.ancestors, live.ancestors, file: file, line: line)
        XCTAssertEqual(archive.partitionKeys, live.partitionKeys, file: file, line: line)
        XCTAssertEqual(archive.unique.keys.sorted(), live.unique.keys.sorted(), file: file, line: line)
        for table in live.unique.keys.sorted() {
            XCTAssertEqual(archive.unique[table], live.unique[table], "unique keys of \(table)", file: file, line: line)
        }
        XCTAssertEqual(archive.foreignKeys, live.foreignKeys, file: file, line: line)
    }

    private func dump(_ database: String, _ options: [String]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["pg_dump", "--dbname", database] + options
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        XCTAssertEqual(process.terminationStatus, 0, "pg_dump \(options)")
        return String(decoding: data, as: UTF8.self)
    }
}
