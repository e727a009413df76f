@testable import DatasetKit
import XCTest

/// The catalog read from archive entries whose SQL is exactly what pg_dump 15.18 wrote.
final class ArchiveCatalogTests: XCTestCase {
    private var nextId = 0

    private func entry(_ desc: String, _ tag: String, _ defn: String, schema: String? = "public", copy: String? = nil) -> ArchiveEntry {
        nextId += 1
        return ArchiveEntry(dumpId: nextId, hadDumper: desc == "TABLE DATA", tag: tag, desc: desc,
                            section: desc == "TABLE DATA" ? .data : .preData, defn: defn, copyStmt: copy, namespace: schema)
    }

    private func data(_ tag: String, _ copy: String, schema: String = "public") -> ArchiveEntry {
        entry("TABLE DATA", tag, "", schema: schema, copy: copy + "\n")
    }

    private func table(_ schema: String, _ name: String) -> QualifiedTable { QualifiedTable(schema: schema, table: name) }

    private func column(_ name: String, _ type: String, notNull: Bool = false) -> TableColumns.Column {
        TableColumns.Column(name: name, type: type, notNull: notNull)
    }

    // MARK: Columns

    /// Defaults with commas, parentheses, quotes and "--" in them, COLLATE, a generated column,
    /// inline CHECK constraints, quoted names with quotes in them and keywords as names.
    func testColumnsOfTheCreateTable() throws {
        let users = #"""
        CREATE TABLE public.users (
            id bigint NOT NULL,
            account_id bigint NOT NULL,
            email public.email_address,
            "Full Name" character varying(255) DEFAULT 'a, (b) ''c'' -- not a comment'::character varying COLLATE pg_catalog."C",
            current_mood public.mood DEFAULT 'happy'::public.mood,
            "weird""name" integer,
            "select" boolean,
            balance billing.amount DEFAULT 0,
            name_upper text GENERATED ALWAYS AS (upper(("Full Name")::text)) STORED,
            "postalCode" text DEFAULT concat('a', 'b,c', 'd''e') NOT NULL,
            a text DEFAULT 'x'::text NOT NULL COLLATE pg_catalog."C",
            created_at timestamp(3) with time zone DEFAULT now(),
            price numeric(10,2) DEFAULT (0)::numeric NOT NULL,
            tags text[] COLLATE pg_catalog."C",
            CONSTRAINT users_balance_check CHECK (((balance)::numeric < (1000000)::numeric)),
            CONSTRAINT "users_weird""name_check" CHECK (("weird""name" > 0))
        );

        """#
        let definition = try TableDefinition(parsing: users)
        XCTAssertEqual(definition.table, table("public", "users"))
        XCTAssertEqual(definition.columns.map(\.name), ["id", "account_id", "email", "Full Name", "current_mood", "weird\"name", "select",
                                                        "balance", "name_upper", "postalCode", "a", "created_at", "price", "tags"])
        XCTAssertEqual(definition.columns.map(\.type), ["bigint", "bigint", "public.email_address", "character varying(255)", "public.mood",
                                                        "integer", "boolean", "billing.amount", "text", "text", "text",
                                                        "timestamp(3) with time zone", "numeric(10,2)", "text[]"])
        XCTAssertEqual(definition.columns.filter(\.notNull).map(\.name), ["id", "account_id", "postalCode", "a", "price"])
        XCTAssertEqual(definition.columns.filter(\.generated).map(\.name), ["name_upper"])

        let catalog = try TableColumns.read(fromArchive: [entry("TABLE", "users", users)])
        XCTAssertEqual(catalog.columns[table("public", "users")]?.map(\.name).contains("name_upper"), false, "generated columns are not data")
        XCTAssertEqual(catalog.columns[table("public", "users")]?.count, 13)
    }

    /// The COPY of the data decides the order; without data (excluded, or an empty dump of
    /// it), the CREATE TABLE does.
    func testColumnsInTheOrderOfTheCopy() throws {
        let entries = [
            entry("TABLE", "base_items", "CREATE TABLE public.base_items (\n    id integer NOT NULL,\n    label text,\n    added_later integer\n);\n"),
            entry("TABLE", "child_items", """
                CREATE TABLE public.child_items (
                    extra text
                )
                INHERITS (public.base_items);
                ALTER TABLE ONLY public.child_items ALTER COLUMN label SET NOT NULL;

                """),
            entry("TABLE", "audit_log", "CREATE TABLE public.audit_log (\n    id bigint NOT NULL,\n    message text,\n    at timestamp without time zone\n);\n"),
            data("child_items", "COPY public.child_items (id, label, extra, added_later) FROM stdin;"),
            data("base_items", "COPY public.base_items (id, label, added_later) FROM stdin;"),
        ]
        let catalog = try TableColumns.read(fromArchive: entries)
        XCTAssertEqual(catalog.columns[table("public", "child_items")], [
            column("id", "integer", notNull: true), column("label", "text", notNull: true), column("extra", "text"), column("added_later", "integer"),
        ])
        XCTAssertEqual(catalog.columns[table("public", "audit_log")]?.map(\.name), ["id", "message", "at"], "a table whose data is left out")
        // Without its data, an inheritance child has its parents' columns first, as a restore makes it.
        let withoutData = try TableColumns.read(fromArchive: Array(entries.prefix(3)))
        XCTAssertEqual(withoutData.columns[table("public", "child_items")]?.map(\.name), ["id", "label", "added_later", "extra"])
    }

    /// Domains are their base type (through a domain of a domain) with the NOT NULL of any of
    /// them; an array of a domain stays what format_type writes.
    func testDomainsAreTheirBaseType() throws {
        let catalog = try TableColumns.read(fromArchive: [
            entry("DOMAIN", "email_address", """
                CREATE DOMAIN public.email_address AS public.citext NOT NULL
                \tCONSTRAINT email_address_check CHECK ((VALUE OPERATOR(public.~~) '%@%'::public.citext));

                """),
            entry("DOMAIN", "short_code", "CREATE DOMAIN public.short_code AS character varying(12);\n"),
            entry("DOMAIN", "strict_code", "CREATE DOMAIN public.strict_code AS public.short_code NOT NULL;\n"),
            entry("DOMAIN", "amount", "CREATE DOMAIN billing.amount AS numeric(10,2)\n\tCONSTRAINT amount_check CHECK ((VALUE >= (0)::numeric));\n", schema: "billing"),
            entry("DOMAIN", "dd", "CREATE DOMAIN public.dd AS text COLLATE pg_catalog.\"C\" NOT NULL DEFAULT 'a'::text\n\tCONSTRAINT dd_check CHECK ((VALUE <> 'b'::text));\n"),
            entry("DOMAIN", "Odd Domain", "CREATE DOMAIN public.\"Odd Domain\" AS text\n\tCONSTRAINT c CHECK ((VALUE IS NOT NULL));\n"),
            entry("DOMAIN", "tag_list", "CREATE DOMAIN public.tag_list AS text[];\n"),
            entry("TABLE", "accounts", """
                CREATE TABLE public.accounts (
                    email public.email_address,
                    code public.strict_code,
                    codes public.short_code[],
                    total billing.amount,
                    d public.dd,
                    odd public."Odd Domain",
                    labels public.tag_list,
                    mood public.mood
                );

                """),
        ])
        XCTAssertEqual(catalog.columns[table("public", "accounts")], [
            column("email", "public.citext", notNull: true), column("code", "character varying(12)", notNull: true),
            column("codes", "public.short_code[]"), column("total", "numeric(10,2)"), column("d", "text", notNull: true),
            column("odd", "text"), column("labels", "text[]"), column("mood", "public.mood"),
        ])
    }

    /// A typed table's columns are its type's; `street NOT NULL` is an option of one of them.
    func testTypedTables() throws {
        let type = entry("TYPE", "address", "CREATE TYPE public.address AS (\n\tstreet text,\n\tcity text COLLATE pg_catalog.\"C\"\n);\n")
        let catalog = try TableColumns.read(fromArchive: [
            entry("TYPE", "mood", "CREATE TYPE public.mood AS ENUM (\n    'happy',\n    'sad'\n);\n"), type,
            entry("TABLE", "addresses", "CREATE TABLE public.addresses OF public.address (\n    street NOT NULL\n);\n"),
            entry("TABLE", "addresses2", "CREATE TABLE public.addresses2 OF public.address;\n"),
        ])
        XCTAssertEqual(catalog.columns[table("public", "addresses")], [column("street", "text", notNull: true), column("city", "text")])
        XCTAssertEqual(catalog.columns[table("public", "addresses2")], [column("street", "text"), column("city", "text")])
    }

    /// Unlogged tables, tables in several schemas, names that need quotes, an empty table.
    func testNamesAndSchemas() throws {
        let catalog = try TableColumns.read(fromArchive: [
            entry("TABLE", "Mixed.Case", """
                CREATE TABLE "Odd Schema"."Mixed.Case" (
                    "Id" integer NOT NULL,
                    "a,b" text,
                    "user" text,
                    "Ref" uuid
                );

                """, schema: "Odd Schema"),
            entry("TABLE", "sessions", "CREATE UNLOGGED TABLE public.sessions (\n    token text NOT NULL,\n    data jsonb\n);\n"),
            entry("TABLE", "nothing", "CREATE TABLE public.nothing (\n);\n"),
            data("Mixed.Case", #"COPY "Odd Schema"."Mixed.Case" ("Id", "a,b", "user", "Ref") FROM stdin;"#, schema: "Odd Schema"),
            data("nothing", "COPY public.nothing  FROM stdin;"),
        ])
        XCTAssertEqual(catalog.columns[table("Odd Schema", "Mixed.Case")]?.map(\.name), ["Id", "a,b", "user", "Ref"])
        XCTAssertEqual(catalog.columns[table("public", "sessions")], [column("token", "text", notNull: true), column("data", "jsonb")])
        XCTAssertEqual(catalog.columns[table("public", "nothing")], [])
    }

    // MARK: Partitions and keys

    private var shop: [ArchiveEntry] {
        func orders(_ name: String, _ by: String? = nil) -> ArchiveEntry {
            entry("TABLE", name, """
                CREATE TABLE public.\(name) (
                    id bigint NOT NULL,
                    created_at date NOT NULL,
                    region text NOT NULL,
                    user_id bigint,
                    total numeric(12,2)
                )\(by.map { "\nPARTITION BY \($0)" } ?? "");

                """)
        }
        return [
            orders("orders", "RANGE (created_at)"), orders("orders_2024", "LIST (region)"), orders("orders_2024_eu"),
            entry("TABLE", "orders_2025", """
                CREATE TABLE public.orders_2025 (
                    region text NOT NULL,
                    total numeric(12,2),
                    user_id bigint,
                    created_at date NOT NULL,
                    id bigint NOT NULL
                );

                """),
            entry("TABLE", "events", """
                CREATE TABLE public.events (
                    id bigint,
                    at timestamp with time zone,
                    kind text,
                    zone text
                )
                PARTITION BY RANGE (date_trunc('day'::text, (at AT TIME ZONE 'UTC'::text)), kind);

                """),
            entry("TABLE ATTACH", "orders_2024", "ALTER TABLE ONLY public.orders ATTACH PARTITION public.orders_2024 FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');\n"),
            entry("TABLE ATTACH", "orders_2024_eu", "ALTER TABLE ONLY public.orders_2024 ATTACH PARTITION public.orders_2024_eu FOR VALUES IN ('eu');\n"),
            entry("TABLE ATTACH", "orders_2025", "ALTER TABLE ONLY public.orders ATTACH PARTITION public.orders_2025 DEFAULT;\n"),
            entry("TABLE", "users", """
                CREATE TABLE public.users (
                    id bigint NOT NULL,
                    account_id bigint NOT NULL,
                    email public.citext,
                    "Full Name" character varying(255),
                    "select" boolean,
                    name_upper text GENERATED ALWAYS AS (upper(("Full Name")::text)) STORED,
                    "postalCode" text NOT NULL
                );

                """),
            entry("CONSTRAINT", "users users_pkey", "ALTER TABLE ONLY public.users\n    ADD CONSTRAINT users_pkey PRIMARY KEY (id);\n"),
            entry("CONSTRAINT", "users users_email_key", "ALTER TABLE ONLY public.users\n    ADD CONSTRAINT users_email_key UNIQUE NULLS NOT DISTINCT (email) INCLUDE (\"select\");\n"),
            entry("CONSTRAINT", "users users_no_overlap", "ALTER TABLE ONLY public.users\n    ADD CONSTRAINT users_no_overlap EXCLUDE USING btree (id WITH =);\n"),
            entry("INDEX", "users_lower_name", "CREATE UNIQUE INDEX users_lower_name ON public.users USING btree (lower((\"Full Name\")::text), account_id);\n"),
            entry("INDEX", "users_id_including", "CREATE UNIQUE INDEX users_id_including ON public.users USING btree (id) INCLUDE (\"select\");\n"),
            entry("INDEX", "users_generated", "CREATE UNIQUE INDEX users_generated ON public.users USING btree (name_upper, \"postalCode\" text_pattern_ops DESC NULLS LAST);\n"),
            entry("INDEX", "users_partial", "CREATE UNIQUE INDEX users_partial ON public.users USING btree (account_id) WHERE \"select\";\nALTER INDEX public.users_partial ALTER COLUMN 1 SET STATISTICS 500;\n"),
            entry("INDEX", "users_email_idx", "CREATE INDEX users_email_idx ON public.users USING btree (email);\n"),
            entry("INDEX", "users_cast", "CREATE UNIQUE INDEX users_cast ON public.users USING btree (((id)::text), ((\"Full Name\")::timestamp with time zone));\n"),
            entry("CONSTRAINT", "orders orders_pkey", "ALTER TABLE ONLY public.orders\n    ADD CONSTRAINT orders_pkey PRIMARY KEY (id, created_at, region);\n"),
            entry("CONSTRAINT", "orders_2024_eu orders_2024_eu_pkey", "ALTER TABLE ONLY public.orders_2024_eu\n    ADD CONSTRAINT orders_2024_eu_pkey PRIMARY KEY (id, created_at, region);\n"),
            entry("INDEX", "orders_user", "CREATE UNIQUE INDEX orders_user ON ONLY public.orders USING btree (user_id, id, created_at, region);\n"),
            entry("INDEX", "events_day", "CREATE UNIQUE INDEX events_day ON public.events USING btree (date_trunc('day'::text, (at AT TIME ZONE zone)), kind);\n"),
            entry("INDEX ATTACH", "orders_2024_eu_pkey", "ALTER INDEX public.orders_pkey ATTACH PARTITION public.orders_2024_eu_pkey;\n"),
            entry("FK CONSTRAINT", "orders orders_user_id_fkey", "ALTER TABLE public.orders\n    ADD CONSTRAINT orders_user_id_fkey FOREIGN KEY (user_id) REFERENCES public.users(id);\n"),
            entry("FK CONSTRAINT", "users users_account_id_fkey", "ALTER TABLE ONLY public.users\n    ADD CONSTRAINT users_account_id_fkey FOREIGN KEY (account_id, \"postalCode\") REFERENCES billing.\"Accounts\"(id, \"Code\") ON DELETE SET NULL (account_id) DEFERRABLE INITIALLY DEFERRED;\n"),
            entry("MATERIALIZED VIEW", "account_names", "CREATE MATERIALIZED VIEW public.account_names AS\n SELECT 1 AS id\n  WITH NO DATA;\n"),
            entry("INDEX", "account_names_id", "CREATE UNIQUE INDEX account_names_id ON public.account_names USING btree (id);\n"),
            data("orders_2025", "COPY public.orders_2025 (region, total, user_id, created_at, id) FROM stdin;"),
        ]
    }

    func testPartitionsAndTheirKeys() throws {
        let catalog = try TableColumns.read(fromArchive: shop)
        let orders = table("public", "orders"), orders2024 = table("public", "orders_2024")
        XCTAssertEqual(catalog.ancestors, [orders2024: [orders], table("public", "orders_2024_eu"): [orders2024, orders],
                                           table("public", "orders_2025"): [orders]])
        XCTAssertEqual(catalog.partitionKeys, [orders: ["created_at"], orders2024: ["region"], table("public", "events"): ["at", "kind"]])
        XCTAssertEqual(catalog.columns[table("public", "orders_2025")]?.map(\.name), ["region", "total", "user_id", "created_at", "id"])
        XCTAssertEqual(catalog.family(of: orders), [orders, orders2024, table("public", "orders_2024_eu"), table("public", "orders_2025")])
    }

    /// Primary keys, unique constraints and unique indexes, in the order of their names: key
    /// columns only (not INCLUDE), with the columns expressions read.
    func testUniqueKeys() throws {
        let catalog = try TableColumns.read(fromArchive: shop)
        XCTAssertEqual(catalog.unique[table("public", "users")], [
            ["id", "Full Name"], ["email"], ["name_upper", "postalCode"], ["id"], ["Full Name", "account_id"], ["account_id"], ["id"],
        ])
        XCTAssertEqual(catalog.unique[table("public", "orders")], [["id", "created_at", "region"], ["user_id", "id", "created_at", "region"]])
        XCTAssertEqual(catalog.unique[table("public", "orders_2024_eu")], [["id", "created_at", "region"]])
        XCTAssertEqual(catalog.unique[table("public", "events")], [["at", "zone", "kind"]])
        XCTAssertNil(catalog.unique[table("public", "account_names")])
    }

    func testForeignKeys() throws {
        let catalog = try TableColumns.read(fromArchive: shop)
        XCTAssertEqual(catalog.foreignKeys, [
            TableColumns.ForeignKey(table: table("public", "orders"), columns: ["user_id"], referenced: table("public", "users"), referencedColumns: ["id"]),
            TableColumns.ForeignKey(table: table("public", "users"), columns: ["account_id", "postalCode"],
                                    referenced: table("billing", "Accounts"), referencedColumns: ["id", "Code"]),
        ])
    }

    /// What the live and the archive catalog share, read as PostgreSQL writes it.
    func testKeyColumnsOfExpressions() throws {
        let columns: Set<String> = ["at", "zone", "kind", "Full Name", "true", "id", "text"]
        XCTAssertEqual(try KeyColumns.of(elementText: #"lower(("Full Name")::text)"#, columns: columns), ["Full Name"])
        XCTAssertEqual(try KeyColumns.of(elementText: "(at AT TIME ZONE 'UTC'::text)", columns: columns), ["at"])
        XCTAssertEqual(try KeyColumns.of(elementText: "((true))", columns: columns), [], "a keyword, not the column \"true\"")
        XCTAssertEqual(try KeyColumns.of(elementText: #"(("true" OR (id > 0)))"#, columns: columns), ["true", "id"])
        XCTAssertEqual(try KeyColumns.of(elementText: "((id)::timestamp(3) with time zone)", columns: columns), ["id"])
        XCTAssertEqual(try KeyColumns.of(elementText: "public.f(kind, 'zone'::text)", columns: columns), ["kind"])
        XCTAssertEqual(try KeyColumns.of(elementText: #"(kind COLLATE "Full Name")"#, columns: columns), ["kind"])
        XCTAssertEqual(try KeyColumns.of(elementText: "((ROW(id, kind)).f1)", columns: columns), ["id", "kind"])
        XCTAssertEqual(try KeyColumns.ofPartitionKey("LIST (lower(kind) COLLATE \"C\" text_ops, id)", columns: columns), ["kind", "id"])
        XCTAssertThrowsError(try KeyColumns.of(elementText: "nosuch", columns: columns))
    }

    // MARK: Types behave as the live catalog's

    /// A qualified citext (as pg_dump and the live catalog write it) is text to the rules,
    /// and loses its case before a rule, wherever the extension lives.
    func testQualifiedTypesBehaveLikeTheirNames() throws {
        for citext in ["citext", "public.citext", "extensions.citext", "\"My Schema\".citext"] {
            XCTAssertEqual(ColumnTypeKind(citext), .text, citext)
            XCTAssertEqual(ValueNormalization(type: citext), .lowerCase, citext)
        }
        for other in ["public.citext[]", "public.mood", "public.\"citext\"x", "numeric(10,2)"] {
            XCTAssertNotEqual(ValueNormalization(type: other), .lowerCase, other)
        }
        XCTAssertEqual(ColumnTypeKind("public.mood"), .other)
        XCTAssertEqual(ColumnTypeKind("public.citext[]"), .other)
        let column = QualifiedColumn(table: table("public", "users"), column: "email")
        XCTAssertNoThrow(try SanitizeRule.email.checkFits(column, type: "public.citext"))
        XCTAssertThrowsError(try SanitizeRule.email.checkFits(column, type: "public.mood")) {
            XCTAssertEqual($0.userMessage, "The sanitize rule \"email\" for public.users.email cannot fit its type public.mood (email writes text, for text, varchar and char columns).")
        }
    }

    // MARK: What it refuses

    func testWhatDoesNotReadAsPgDumpIsOneSentenceNamingTheEntry() {
        let users = entry("TABLE", "users", "CREATE TABLE public.users (\n    id bigint NOT NULL,\n    email text\n);\n")
        func refusal(_ entries: [ArchiveEntry], file: StaticString = #filePath, line: UInt = #line) -> String {
            do {
                _ = try TableColumns.read(fromArchive: entries)
                XCTFail("no refusal", file: file, line: line)
                return ""
            } catch {
                XCTAssertEqual((error as? DPMError)?.kind, .corrupt, file: file, line: line)
                XCTAssertEqual(error.userMessage.filter { $0 == "." }.count >= 1, true, file: file, line: line)
                return error.userMessage
            }
        }
        XCTAssertEqual(refusal([entry("TABLE", "users", "CREATE VIEW public.users AS SELECT 1;\n")]),
                       "dpm cannot read the dump's entry \(nextId) (TABLE users in schema public): its SQL has VIEW where pg_dump writes TABLE.")
        XCTAssertEqual(refusal([entry("TABLE", "users", "CREATE TABLE public.users (\n    id bigint NOT NULL,\n    email text DEFAULT 'x\n);\n")]),
                       "dpm cannot read the dump's entry \(nextId) (TABLE users in schema public): its SQL has a string constant that is not closed.")
        XCTAssertEqual(refusal([entry("TABLE", "users", "CREATE TABLE users (\n    id bigint\n);\n")]),
                       "dpm cannot read the dump's entry \(nextId) (TABLE users in schema public): its SQL has users where pg_dump writes a schema-qualified table name.")
        XCTAssertEqual(refusal([entry("TABLE", "users", "CREATE TABLE public.users (\n    id bigint UNIQUE\n);\n")]),
                       "dpm cannot read the dump's entry \(nextId) (TABLE users in schema public): its SQL has UNIQUE where pg_dump writes DEFAULT, GENERATED, NOT NULL or COLLATE in column \"id\".")
        XCTAssertEqual(refusal([entry("TABLE", "people", "CREATE TABLE public.users (\n    id bigint\n);\n")]),
                       "dpm cannot read the dump's entry \(nextId) (TABLE people in schema public): it creates public.users, not the table the entry names.")
        XCTAssertEqual(refusal([users, entry("TABLE", "users", users.defn)]),
                       "dpm cannot read the dump's entry \(nextId) (TABLE users in schema public): another entry creates public.users too.")
        XCTAssertEqual(refusal([entry("TABLE", "users", "CREATE TABLE public.users (\n    id bigint\n);\nALTER TABLE ONLY public.users DROP COLUMN \"........pg.dropped.2........\";\n")]),
                       "dpm cannot read the dump's entry \(nextId) (TABLE users in schema public): it changes the table's columns after creating it, as only binary-upgrade dumps do.")
        // An extension's configuration table: data without a CREATE TABLE, left out of the catalog.
        XCTAssertEqual(try TableColumns.read(fromArchive: [users, data("spatial_ref_sys", "COPY public.spatial_ref_sys (srid, auth_name) FROM stdin;")])
            .columns.keys.map(\.description), ["public.users"])
        XCTAssertEqual(refusal([users, data("users", "COPY public.users (id, mail) FROM stdin;")]),
                       "dpm cannot read the dump's entry \(nextId) (TABLE DATA users in schema public): its COPY statement names \"mail\", which public.users lacks.")
        XCTAssertEqual(refusal([users, data("users", "COPY public.users (id) FROM stdin;")]),
                       "dpm cannot read the dump's entry \(nextId) (TABLE DATA users in schema public): its COPY statement leaves out \"email\" of public.users.")
        XCTAssertEqual(refusal([users, data("users", "COPY public.other (id, email) FROM stdin;")]),
                       "dpm cannot read the dump's entry \(nextId) (TABLE DATA users in schema public): its COPY statement loads public.other, not public.users.")
        XCTAssertEqual(refusal([users, data("users", "INSERT INTO public.users VALUES (1);")]),
                       "dpm cannot read the dump's entry \(nextId) (TABLE DATA users in schema public): its COPY statement is not COPY table (columns) FROM stdin.")
        XCTAssertEqual(refusal([users, entry("CONSTRAINT", "users users_check", "ALTER TABLE ONLY public.users\n    ADD CONSTRAINT users_check CHECK ((id > 0));\n")]),
                       "dpm cannot read the dump's entry \(nextId) (CONSTRAINT users users_check in schema public): its SQL has CHECK where pg_dump writes PRIMARY KEY, UNIQUE or EXCLUDE.")
        XCTAssertEqual(refusal([users, entry("CONSTRAINT", "users users_pkey", "ALTER TABLE ONLY public.users\n    ADD CONSTRAINT users_pkey PRIMARY KEY (uid);\n")]),
                       "dpm cannot read the dump's entry \(nextId) (CONSTRAINT users users_pkey in schema public): its key names \"uid\", which is not a column of the table.")
        XCTAssertEqual(refusal([entry("CONSTRAINT", "gone gone_pkey", "ALTER TABLE ONLY public.gone\n    ADD CONSTRAINT gone_pkey PRIMARY KEY (id);\n")]),
                       "dpm cannot read the dump's entry \(nextId) (CONSTRAINT gone gone_pkey in schema public): the dump creates no table public.gone.")
        XCTAssertEqual(refusal([users, entry("INDEX", "users_x", "CREATE UNIQUE INDEX users_x ON public.users USING btree (lower(email);\n")]),
                       "dpm cannot read the dump's entry \(nextId) (INDEX users_x in schema public): its SQL has a bracket that is not closed.")
        XCTAssertEqual(refusal([users, entry("FK CONSTRAINT", "users users_fk", "ALTER TABLE ONLY public.users\n    ADD CONSTRAINT users_fk FOREIGN KEY (id, email) REFERENCES public.accounts(id);\n")]),
                       "dpm cannot read the dump's entry \(nextId) (FK CONSTRAINT users users_fk in schema public): its foreign key has 2 columns but refers to 1.")
        XCTAssertEqual(refusal([users, entry("FK CONSTRAINT", "users users_fk", "ALTER TABLE ONLY public.users\n    ADD CONSTRAINT users_fk FOREIGN KEY (account) REFERENCES public.accounts(id);\n")]),
                       "dpm cannot read the dump's entry \(nextId) (FK CONSTRAINT users users_fk in schema public): its foreign key names \"account\", which is not a column of public.users.")
        XCTAssertEqual(refusal([users, entry("TABLE ATTACH", "users_1", "ALTER TABLE ONLY public.users ATTACH PARTITION public.users_1 FOR VALUES IN (1);\n")]),
                       "dpm cannot read the dump's entry \(nextId) (TABLE ATTACH users_1 in schema public): the dump creates no table public.users_1.")
        XCTAssertEqual(refusal([entry("TABLE", "typed", "CREATE TABLE public.typed OF public.nosuch;\n")]),
                       "dpm cannot read the dump's entry \(nextId) (TABLE typed in schema public): the dump creates no composite type public.nosuch for its columns.")
        XCTAssertEqual(refusal([entry("TABLE", "child", "CREATE TABLE public.child (\n    extra text\n)\nINHERITS (public.parent);\n")]),
                       "dpm cannot read the dump's entry \(nextId) (TABLE child in schema public): the dump creates no table public.parent for it to inherit from.")
        XCTAssertEqual(refusal([entry("DOMAIN", "d", "CREATE DOMAIN public.d AS public.e;\n"), entry("DOMAIN", "e", "CREATE DOMAIN public.e AS public.d;\n"),
                                entry("TABLE", "t", "CREATE TABLE public.t (\n    x public.d\n);\n")]),
                       "dpm cannot read the dump's entry \(nextId - 2) (DOMAIN d in schema public): its domains are based on each other in a circle.")
    }

    // MARK: Tokens

    func testTokensOfEveryKindOfConstant() throws {
        let sql = try SQLTokens(#"SELECT "a""b", 'it''s', E'\'x', $body$ a ' " $body$, $$ $$, 1.5e-3, x::text -- comment"# + "\n" + "/* a /* nested */ comment */ ;")
        XCTAssertEqual(sql.tokens.map(\.text), ["SELECT", "a\"b", ",", "'it''s'", ",", #"E'\'x'"#, ",", "$body$ a ' \" $body$", ",", "$$ $$", ",",
                                                 "1.5e-3", ",", "x", "::", "text", ";"])
        XCTAssertEqual(sql.tokens[1].kind, .quotedName)
        XCTAssertEqual(sql.tokens[0].name, "select")
        XCTAssertEqual(try SQLTokens("CREATE TABLE a; ALTER TABLE b (c);").statements().count, 2)
        XCTAssertThrowsError(try SQLTokens("\"never closed"))
        XCTAssertThrowsError(try SQLTokens("/* never closed"))
    }
}
