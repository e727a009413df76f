import DatasetKit
import Foundation
import XCTest

/// `sanitize:` rules through the real binary against real PostgreSQL: a shop's production
/// database (SanitizeFixture) becomes a shared profile whose stored data, and every copy restored
/// from it, holds no personal data, while keys, foreign keys, types and NULLs still hold.
final class SanitizeUploadTests: XCTestCase {
    private var harness: Harness!

    override func setUpWithError() throws { harness = try Harness() }
    override func tearDown() { harness?.tearDown() }

    override class func tearDown() {
        shared.withValue { fixture in
            fixture?.harness.tearDown()
            fixture = nil
        }
        super.tearDown()
    }

    // MARK: - Determinism

    /// A custom dump of the source, read without a database, sanitizes to the very objects the
    /// source itself does: the catalog the rules need (domains, char(n), citext, partitions,
    /// unique keys, foreign keys) comes from the dump's own entries. A column nobody classified
    /// is refused from a dump as from a database.
    func testADumpReadDirectlySanitizesToTheObjectsOfItsDatabase() throws {
        try writeProfile()
        let live = try uploadSnapshot(key: SanitizeFixture.key)
        let dump = "\(harness.root)/nightly.dump"
        let made = harness.command("pg_dump", ["--format=custom", "--file=\(dump)", "--dbname=\(try sourceHarness().database)"])
        XCTAssertEqual(made.status, 0, made.stderr)
        let upload = harness.dpm(["upload", "user-generated", "--no-media", "--from-dump", dump], environment: keyEnvironment())
        XCTAssertEqual(upload.status, 0, upload.stderr)
        XCTAssertFalse(upload.stderr.contains("scratch database"), upload.stderr)
        let imported = try CanonicalJSON.decode(Snapshot.self, from: XCTUnwrap(harness.read("profiles/user-generated/manifest.json")), what: "manifest")
        XCTAssertEqual(imported.source.dump?.format, "custom")
        XCTAssertEqual(tableObjects(imported), tableObjects(live.record), "the same sanitized objects from the dump as from its database")
        XCTAssertEqual(imported.schema.sha256, live.record.schema.sha256)
        XCTAssertEqual(imported.sanitize?.rules, live.record.sanitize?.rules)
        XCTAssertEqual(imported.sanitize?.leakCheck, live.record.sanitize?.leakCheck)

        try harness.write(SanitizeFixture.profile(columns: SanitizeFixture.rules(setting: "public.users.notes", to: nil)),
                          to: "profiles/user-generated/profile.yaml")
        let before = try harness.stateFingerprint()
        try harness.assertRefused(["upload", "user-generated", "--no-media", "--from-dump", dump], environment: keyEnvironment(),
                                  says: "public.users.notes")
        XCTAssertEqual(try harness.stateFingerprint(), before)
    }

    /// One key gives byte-identical data objects in two uploads, whatever their --jobs (so dedup
    /// keeps working on sanitized data and the second upload stores almost nothing); another key
    /// gives other objects for every table a rule changes and the same ones for the tables no rule
    /// touches.
    /// The record (and --json, and the manifest) says which rules, algorithm and key made them,
    /// never holds the key, and no stored data object holds an original email.
    func testOneKeyGivesIdenticalObjectsAnotherKeyChangesOnlySanitizedTables() throws {
        try writeProfile()
        let first = try uploadSnapshot(key: SanitizeFixture.key, "--jobs", "4")
        let second = try uploadSnapshot(key: SanitizeFixture.key, "--jobs", "1")
        XCTAssertNotEqual(first.record.id, second.record.id)
        XCTAssertEqual(tableObjects(first.record), tableObjects(second.record), "one key, one input: the same objects")
        XCTAssertLessThanOrEqual(second.output["objectsStored"] as? Int ?? .max, 1, "only the dump's table of contents may be new")
        XCTAssertEqual(second.record.sanitize, first.record.sanitize)

        let other = try uploadSnapshot(key: SanitizeFixture.otherKey)
        let (one, another) = (tableObjects(first.record), tableObjects(other.record))
        for table in SanitizeFixture.sanitizedTables {
            XCTAssertNotNil(one[table], "\(table) has a data object")
            XCTAssertNotEqual(one[table], another[table], "another key gives other data for \(table)")
        }
        for table in SanitizeFixture.untouchedTables + SanitizeFixture.truncated {
            XCTAssertEqual(one[table], another[table], "\(table) does not depend on the key")
        }
        XCTAssertNotNil(one["public.products"])

        let record = try XCTUnwrap(first.record.sanitize, "the snapshot record says it is sanitized")
        let spec = try ProfileSpec.load(path: "\(harness.root)/profiles/user-generated/profile.yaml", displayName: "profile.yaml")
        XCTAssertEqual(record.rules, spec.sanitize?.digest)
        XCTAssertEqual(record.algorithm, SanitizeRules.algorithmVersion)
        XCTAssertEqual(record.keyFingerprint, try SanitizeKey(secret: SanitizeFixture.key).fingerprint)
        XCTAssertEqual(other.record.sanitize?.rules, record.rules)
        XCTAssertNotEqual(other.record.sanitize?.keyFingerprint, record.keyFingerprint)
        XCTAssertEqual(record.columns, SanitizeFixture.columnRules.filter { $0.rule != "keep" }.count)
        XCTAssertEqual(Set(record.truncated), Set(SanitizeFixture.truncated))
        XCTAssertEqual(record.scripts, [])
        XCTAssertGreaterThanOrEqual(record.leakCheck.originals, 2000, "at least every customer's email is looked for")
        XCTAssertGreaterThan(record.leakCheck.fieldsChecked, 20_000)
        let printed = try JSONSerialization.data(withJSONObject: XCTUnwrap(first.output["sanitize"], "upload --json has \"sanitize\""))
        XCTAssertEqual(try JSONDecoder().decode(SanitizeRecord.self, from: printed), record, "--json says what the record says")

        let manifestData = try XCTUnwrap(harness.read("profiles/user-generated/manifest.json"))
        XCTAssertEqual(try CanonicalJSON.decode(Snapshot.self, from: manifestData, what: "manifest"), other.record)
        for snapshot in [first.record, second.record, other.record] {
            let text = String(decoding: try XCTUnwrap(harness.read(".dpm/store/snapshots/user-generated/\(snapshot.id).json")), as: UTF8.self)
            XCTAssertFalse(text.contains(SanitizeFixture.key) || text.contains(SanitizeFixture.otherKey), "a record never holds the key")
        }
        for artifact in first.record.data where artifact.table != nil {
            let foreign = emailTokens(in: try harness.dpmObject(artifact.sha256)).filter { !$0.hasSuffix("@example.com") }
            XCTAssertEqual(foreign.count, 0, "\(artifact.table!) was stored with \(foreign.count) emails that are not sanitized ones")
        }
    }

    // MARK: - The restored copy

    /// After `dpm restore` of a sanitized snapshot into a new database (without the key): no
    /// original email, name, phone, token, card, address, street or city appears anywhere in its
    /// data; every table has its rows, a truncated one its schema and no rows; the foreign keys
    /// (on sanitized emails and uuids, the circular pair, the partitioned table's) and the unique
    /// indexes on sanitized columns were rebuilt by pg_restore and hold; rows that referred to
    /// each other by a sanitized value still do; NULLs stayed NULL; `keep` columns and untouched
    /// tables are byte-equal.
    func testRestoredCopyHoldsNoOriginalsAndKeepsKeysRowsNullsAndKeptColumns() throws {
        let source = try sourceHarness().database
        let copy = try sanitizedCopy()

        let rowsBefore = try rowCounts(in: source), rowsAfter = try rowCounts(in: copy)
        for table in SanitizeFixture.emptied {
            XCTAssertGreaterThan(rowsBefore[table] ?? 0, 0, table)
            XCTAssertEqual(rowsAfter[table], 0, "\(table) is restored, empty")
        }
        XCTAssertEqual(rowsAfter.filter { !SanitizeFixture.emptied.contains($0.key) }, rowsBefore.filter { !SanitizeFixture.emptied.contains($0.key) })

        let constraints = "SELECT conrelid::regclass || ' ' || conname || ' ' || contype::text || ' ' || convalidated || ' ' || pg_get_constraintdef(oid) FROM pg_constraint WHERE connamespace = 'public'::regnamespace ORDER BY 1"
        XCTAssertEqual(try harness.psql(constraints, in: copy), try harness.psql(constraints, in: source))
        XCTAssertEqual(try harness.psql("SELECT count(*) FROM pg_constraint WHERE contype = 'f' AND connamespace = 'public'::regnamespace", in: copy), "10",
                       "orders, addresses, payment_methods, employees, companies, events (and its two partitions), sessions, password_resets")
        XCTAssertEqual(try harness.psql("SELECT count(*) FROM pg_inherits WHERE inhparent IN ('events'::regclass, 'login_attempts'::regclass)", in: copy), "4",
                       "both partitioned tables keep their partitions")
        let indexes = "SELECT indexrelid::regclass || ' ' || indisunique || ' ' || indisvalid || ' ' || pg_get_indexdef(indexrelid) FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid WHERE c.relnamespace = 'public'::regnamespace ORDER BY 1"
        XCTAssertEqual(try harness.psql(indexes, in: copy), try harness.psql(indexes, in: source))
        for index in ["users_email_key", "users_username_key", "users_public_id", "employees_work_email_key", "payment_methods_card_fingerprint_key", "\"NewsletterSubscriber_emailAddress_key\""] {
            XCTAssertEqual(try harness.psql("SELECT indisunique AND indisvalid FROM pg_index WHERE indexrelid = '\(index)'::regclass", in: copy), "t", index)
        }
        for orphans in [
            "SELECT count(*) FROM orders o WHERE NOT EXISTS (SELECT FROM users u WHERE u.email = o.customer_email)",
            "SELECT count(*) FROM events e WHERE e.user_email IS NOT NULL AND NOT EXISTS (SELECT FROM users u WHERE u.email = e.user_email)",
            "SELECT count(*) FROM payment_methods p WHERE NOT EXISTS (SELECT FROM users u WHERE u.public_id = p.user_public_id)",
            "SELECT count(*) FROM companies c WHERE NOT EXISTS (SELECT FROM employees e WHERE e.id = c.billing_contact_id AND e.company_id = c.id)",
        ] {
            XCTAssertEqual(try harness.psql(orphans, in: copy), "0", orphans)
        }
        for sameValue in [
            "SELECT count(*) FROM addresses a JOIN users u ON u.id = a.user_id WHERE a.recipient_name = u.full_name",
            "SELECT count(*) FROM events e JOIN users u ON u.email = e.user_email WHERE e.client_ip = u.last_login_ip",
            // citext compares without case: the copy must too (a citext value loses its case before its rule).
            #"SELECT count(*) FROM "NewsletterSubscriber" s JOIN users u ON lower(u.email) = lower(s."emailAddress"::text)"#,
            "SELECT count(*) FROM crm_contacts c JOIN users u ON u.email = c.contact_email::text",
        ] {
            XCTAssertEqual(try harness.psql(sameValue, in: copy), try harness.psql(sameValue, in: source), "one input, one output in every table: \(sameValue)")
        }

        let nullable = [("public.users", "phone"), ("public.users", "mobile_phone"), ("public.users", "last_login_ip"), ("public.users", "api_token"),
                        ("public.users", "birth_date"), ("public.orders", "shipping_address"), ("public.addresses", "zip_code"),
                        ("public.companies", "allowed_network"), ("public.employees", "commission_rate"), ("public.events", "user_email"),
                        ("public.events", "client_ip"), (#"public."NewsletterSubscriber""#, #""firstName""#)]
        for (table, column) in nullable {
            let rows = try beforeAndAfter(table, "\(column) IS NULL")
            XCTAssertTrue(rows.contains { $0.before == "true" }, "\(table).\(column) has NULLs to keep")
            XCTAssertEqual(rows.filter { $0.before != $0.after }.count, 0, "NULLs of \(table).\(column) stay NULL, values stay values")
        }
        let crmNulls = "concat_ws(',', billing_email IS NULL, assistant_email IS NULL, alias IS NULL, preferred_name IS NULL, maiden_name IS NULL, "
            + "spouse_surname IS NULL, remarks IS NULL, secret_answer IS NULL, passport_number IS NULL)"
        XCTAssertEqual(try differing("public.crm_contacts", crmNulls), 0, "NULLs of crm_contacts stay NULL, values stay values")

        for (table, column) in [("public.users", "country"), ("public.companies", "name")] {
            XCTAssertEqual(try beforeAndAfter(table, column).filter { $0.before != $0.after }.count, 0, "\(table).\(column) is kept")
        }
        for (table, other) in [("public.orders", "status || placed_at"), ("public.addresses", "country || is_default"), ("public.events", "occurred_on || kind")] {
            XCTAssertEqual(try beforeAndAfter(table, other).filter { $0.before != $0.after }.count, 0, "columns without rules of \(table) are kept")
        }
        for table in ["products", "schema_migrations"] {
            let digest = "SELECT md5(string_agg(t::text, '|' ORDER BY t::text)) FROM \(table) t"
            XCTAssertEqual(try harness.psql(digest, in: copy), try harness.psql(digest, in: source), table)
        }

        try assertNoOriginals(in: copy, from: source)
    }

    /// With rules and a TMPDIR without room for a copy of the data, the data goes from pg_dump's
    /// pipe into the store (read three times in one snapshot: the originals, the check, the
    /// upload), giving the objects a scratch copy gives: a TMPDIR of 2 MB is enough for a copy of
    /// the shop with a 10 MB table of customer notes (each names a customer and their email),
    /// whose notes a rule rewrites and whose payloads are kept (its ids start at 10^9: smaller
    /// ones would equal zip codes, which the leak check would rightly refuse). The restored copy
    /// holds no original note, and a leak is still refused before anything is stored.
    func testRulesNeedNoTemporarySpaceForTheData() throws {
        let source = try sourceHarness().database
        let big = harness.prefix + "_big_source"
        try harness.psql("CREATE DATABASE \(big) TEMPLATE \(source)", in: "postgres")
        defer { _ = try? harness.psql("DROP DATABASE IF EXISTS \(big)", in: "postgres") }
        try harness.psql("""
            CREATE TABLE customer_notes (id bigint PRIMARY KEY, user_id bigint NOT NULL REFERENCES users, note text NOT NULL, payload text NOT NULL);
            INSERT INTO customer_notes SELECT 1000000000 + g, u.id, 'Called ' || u.full_name || ' (' || u.email || ') about order ' || g, md5(g::text) || md5(random()::text) || md5(random()::text)
              || md5(random()::text) || md5(random()::text) FROM generate_series(1, 50000) g JOIN users u ON u.id = 1 + g % (SELECT count(*) FROM users);
            """, in: big)
        XCTAssertGreaterThan(Int64(try harness.psql("SELECT pg_relation_size('customer_notes')", in: big)) ?? 0, 8 << 20)
        let mounts = TestMounts()
        defer { mounts.unmountAll() }
        let tmp = try mounts.smallFolder(bytes: 2 << 20)
        try writeProfile(columns: SanitizeFixture.rules(setting: "public.customer_notes.note", to: "text"))
        let run = harness.dpm(try uploadArguments(from: big) + ["--json"], environment: keyEnvironment().merging(["TMPDIR": tmp]) { $1 })
        XCTAssertEqual(run.status, 0, run.stderr)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: tmp), [], "the scratch folder is gone")
        let record = try CanonicalJSON.decode(Snapshot.self, from: XCTUnwrap(harness.read("profiles/user-generated/manifest.json")), what: "manifest")
        let notes = try XCTUnwrap(record.data.first { $0.table == "public.customer_notes" })
        XCTAssertGreaterThan(notes.size, 6 << 20)
        XCTAssertNotNil(notes.chunks, "a table of many chunks")
        XCTAssertGreaterThan(record.sanitize?.leakCheck.fieldsChecked ?? 0, 100_000, "every note's payload and id was checked")

        // With room for a scratch copy, the same data sanitizes to the very same objects.
        let again = harness.dpm(try uploadArguments(from: big) + ["--json"], environment: keyEnvironment())
        XCTAssertEqual(again.status, 0, again.stderr)
        let scratchRecord = try CanonicalJSON.decode(Snapshot.self, from: XCTUnwrap(harness.read("profiles/user-generated/manifest.json")), what: "manifest")
        XCTAssertEqual(tableObjects(scratchRecord), tableObjects(record), "the same sanitized objects streamed as through a scratch copy")
        XCTAssertEqual(scratchRecord.sanitize?.leakCheck, record.sanitize?.leakCheck)

        let copy = harness.prefix + "_big_copy"
        let restored = harness.dpm("restore", "user-generated", "--into", copy)
        XCTAssertEqual(restored.status, 0, restored.stderr)
        XCTAssertEqual(try harness.psql("SELECT count(*) FROM customer_notes", in: copy), "50000")
        let kept = "SELECT md5(string_agg(id || payload, ',' ORDER BY id)) FROM customer_notes"
        XCTAssertEqual(try harness.psql(kept, in: copy), try harness.psql(kept, in: big), "the kept payloads are as they were")
        XCTAssertEqual(try harness.psql("SELECT count(*) FROM customer_notes WHERE note LIKE 'Called %' OR note LIKE '%@%'", in: copy), "0",
                       "every note rewritten")

        // A kept column quoting customers' emails is a leak: refused, the 2 MB TMPDIR notwithstanding.
        try writeProfile(columns: SanitizeFixture.rules(setting: "public.customer_notes.note", to: "keep"))
        let refused = try harness.assertRefused(try uploadArguments(from: big), environment: keyEnvironment().merging(["TMPDIR": tmp]) { $1 },
                                                says: "public.customer_notes.note (50000 fields")
        XCTAssertEqual(refused.status, 1)
        try assertNamesNoOriginal(refused)
    }

    // MARK: - Rules and types

    /// Each rule on its natural column types (text, varchar(n), char(n), domains over text and
    /// varchar; uuid; inet and cidr; date, timestamp, timestamptz; integer, bigint, numeric(10,2),
    /// real): the restored values have the rule's shape, fit the type (pg_restore loaded them into
    /// the same schema), and relate to the originals as the rule says, row by row.
    func testEveryRuleWritesItsShapeIntoItsColumnTypes() throws {
        let copy = try sanitizedCopy()
        let columnTypes = "SELECT table_name || '.' || column_name || ' ' || data_type || ' ' || coalesce(domain_name, '-') FROM information_schema.columns WHERE table_schema = 'public' ORDER BY 1"
        XCTAssertEqual(try harness.psql(columnTypes, in: copy), try harness.psql(columnTypes, in: try sourceHarness().database))

        let email = #"^[a-z]+\.[0-9a-f]{16}@example\.com$"#
        let uuid = "^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$"
        let shapes: [(table: String, column: String, pattern: String)] = [
            ("users", "email", email), ("orders", "customer_email", email), ("events", "user_email", email), ("employees", "work_email", email),
            ("users", "full_name", "^[A-Z][a-z]+ [A-Z][A-Za-z]+$"), ("addresses", "recipient_name", "^[A-Z][a-z]+ [A-Z][A-Za-z]+$"),
            ("employees", "first_name", "^[A-Z][a-z]+$"), ("employees", "last_name", "^[A-Z][A-Za-z]+$"),
            ("users", "api_token", "^[0-9a-f]{64}$"), ("users", "username", "^[0-9a-f]{64}$"), ("payment_methods", "card_fingerprint", "^[0-9a-f]{64}$"),
            ("payment_methods", "card_number", #"^\*{12}[0-9]{4}$"#), ("addresses", "zip_code", #"^\*{3}[0-9]{2}$"#),
            ("orders", "shipping_address", #"^[a-z \n]+$"#), ("addresses", "street", "^[a-z ]+$"), ("addresses", "city", "^[a-z ]+$"),
            ("users", "public_id", uuid), ("payment_methods", "user_public_id", uuid),
            (#""NewsletterSubscriber""#, #""emailAddress""#, email), (#""NewsletterSubscriber""#, #""firstName""#, "^[A-Z][a-z]+$"),
            ("crm_contacts", "contact_email", email), ("crm_contacts", "billing_email", email), ("crm_contacts", "assistant_email", email),
            ("crm_contacts", "contact_name", "^[A-Z][a-z]+ [A-Z][A-Za-z]+$"), ("crm_contacts", "display_name", "^[A-Z][a-z]+ [A-Z][A-Za-z]+$"),
            ("crm_contacts", "alias", "^[A-Z][a-z]+ [A-Z][A-Za-z]+$"), ("crm_contacts", "given_name", "^[A-Z][a-z]+$"),
            ("crm_contacts", "preferred_name", "^[A-Z][a-z]+$"), ("crm_contacts", "family_name", "^[A-Z][A-Za-z]+$"),
            ("crm_contacts", "maiden_name", "^[A-Z][A-Za-z]+$"), ("crm_contacts", "spouse_surname", "^[A-Z][A-Za-z]+$"),
            ("crm_contacts", "address_line", "^[a-z ]+$"), ("crm_contacts", "remarks", #"^[a-z \n]+$"#),
            ("crm_contacts", "account_token", "^[0-9a-f]{64}$"), ("crm_contacts", "secret_answer", "^[0-9a-f]{64}$"),
            ("crm_contacts", "external_ref", "^[0-9a-f]{64}$"), ("crm_contacts", "iban", #"^\*+.{4}$"#),
            ("crm_contacts", "passport_number", #"^\*+[0-9]{3}$"#), ("crm_contacts", "vat_number", #"^\*+[0-9]{2}$"#),
            ("users", "phone", #"^[-+() 0-9]+$"#), ("users", "mobile_phone", #"^\+[0-9]{2} [0-9]{4} [0-9]{6}$"#),
        ]
        let misfits = try harness.psql(shapes.map { table, column, pattern in
            "SELECT '\(table).\(column) ' || count(*) FILTER (WHERE \(column)::text !~ '\(pattern)') || ' of ' || count(\(column)) FROM \(table)"
        }.joined(separator: " UNION ALL "), in: copy).split(separator: "\n")
        XCTAssertEqual(misfits.count, shapes.count)
        for line in misfits {
            XCTAssertNotNil(line.range(of: #" 0 of [1-9][0-9]*$"#, options: .regularExpression), "values without their rule's shape: \(line)")
        }
        for (table, column) in [("users", "email"), ("users", "username"), ("employees", "work_email"), ("users", "public_id"), ("payment_methods", "card_fingerprint"),
                                (#""NewsletterSubscriber""#, #""emailAddress""#)] {
            XCTAssertEqual(try harness.psql("SELECT count(DISTINCT \(column)) = count(*) FROM \(table)", in: copy), "t", "\(table).\(column) stays unique")
        }
        for (table, column) in [("users", "last_login_ip"), ("events", "client_ip"), ("companies", "allowed_network")] {
            XCTAssertEqual(try harness.psql("SELECT count(*) FROM \(table) WHERE NOT (\(column) <<= '10.0.0.0/8' OR \(column) <<= 'fd00::/8')", in: copy), "0",
                           "\(table).\(column) holds private addresses only")
            XCTAssertEqual(try differing("public.\(table)", "family(\(column)) || '/' || masklen(\(column))"), 0, "\(table).\(column) keeps family and mask")
        }

        // Row by row against the originals.
        XCTAssertEqual(try differing("public.users", "regexp_replace(phone, '[0-9]', '#', 'g')"), 0, "phone keeps its format")
        XCTAssertEqual(try differing("public.users", "regexp_replace(mobile_phone, '[0-9]', '#', 'g')"), 0)
        XCTAssertEqual(try unchanged("public.users", "phone"), 0, "no phone number kept")
        XCTAssertEqual(try differing("public.orders", "char_length(shipping_address) || ' ' || array_length(string_to_array(shipping_address, E'\\n'), 1)"), 0,
                       "text keeps each value's length and lines")
        XCTAssertEqual(try differing("public.addresses", "char_length(street) || ' ' || char_length(city)"), 0)
        XCTAssertEqual(try differing("public.payment_methods", "right(card_number, 4)"), 0, "mask:4 keeps the last four")
        XCTAssertEqual(try differing("public.addresses", "right(zip_code, 2)"), 0)
        XCTAssertEqual(try differing("public.crm_contacts", "right(iban::text, 4) || ' ' || char_length(iban::text)"), 0,
                       "mask:4 on char(34) keeps the last four characters of the value, not of its padding")
        XCTAssertEqual(try differing("public.crm_contacts", "right(passport_number, 3) || ' ' || right(vat_number, 2)"), 0)
        XCTAssertEqual(try unchanged("public.users", "public_id"), 0)
        XCTAssertEqual(try unchanged("public.users", "api_token"), 0)
        try assertShifted("public.users", "birth_date - DATE '2000-01-01'", unit: 1, within: 30)
        try assertShifted("public.users", "extract(epoch FROM signup)::bigint", unit: 86_400, within: 7)
        try assertShifted("public.employees", "extract(epoch FROM hired_at)::bigint", unit: 86_400, within: 14)
        try assertNoised("public.orders", "quantity", percent: 20, rounding: 0.5)
        try assertNoised("public.orders", "total", percent: 10, rounding: 0.005)
        try assertNoised("public.employees", "salary_cents", percent: 5, rounding: 0.5)
        try assertNoised("public.employees", "commission_rate", percent: 10, rounding: 0.000_001)

        XCTAssertEqual(try harness.psql("SELECT count(*) || ' ' || count(notes) FROM users", in: copy), "2000 0", "null empties the column")
        XCTAssertEqual(try harness.psql("SELECT count(*) FILTER (WHERE password_digest = '\(SanitizeFixture.passwordPlaceholder)') FROM users", in: copy), "2000",
                       "value: replaces every value")
    }

    /// A rule that cannot apply stops the upload in one sentence naming the column, with exit 1
    /// and nothing stored (no object, no snapshot record, no manifest): `email` on an integer,
    /// `hash` (64 characters) on varchar(10), a column or a table that does not exist, an unknown
    /// rule, `date-shift:abc`, and `value` without its text.
    func testRulesThatCannotApplyAreRefusedNamingTheColumn() throws {
        let cases: [(column: String, rule: String, says: String)] = [
            ("public.orders.quantity", "email", "public.orders.quantity"),
            ("public.addresses.zip_code", "hash", "public.addresses.zip_code"),
            ("public.users.middle_name", "name", "public.users.middle_name"),
            ("public.customers.email", "email", "public.customers"),
            ("public.users.email", "scramble", "public.users.email"),
            ("public.users.birth_date", "date-shift:abc", "public.users.birth_date"),
            ("public.users.password_digest", "value", "public.users.password_digest"),
        ]
        for (column, rule, says) in cases {
            try writeProfile(columns: SanitizeFixture.rules(setting: column, to: rule))
            let run = try harness.assertRefused(try uploadArguments(), environment: keyEnvironment(), says: says)
            XCTAssertEqual(run.status, 1, "\(column): \(rule)")
        }
        try assertNothingStored()
    }

    /// A rule whose outputs the column cannot hold back is refused at upload, or else the snapshot
    /// it stores restores: dpm must never store a snapshot that cannot be restored. Each case a
    /// user can write: `value:` text that is not a date on a date column, `null` on a NOT NULL
    /// column, `date-shift` on the key a table is partitioned by (rows would leave their
    /// partition), `name` (not unique) on a column with a unique index, another rule on a foreign
    /// key than on the key it refers to, and truncating a table other tables refer to.
    func testRulesWhoseOutputsCannotBeRestoredAreRefused() throws {
        let cases: [(profile: String, column: String, rule: String)] = [
            ("value-on-date", "public.users.birth_date", "value:unknown"),
            ("null-on-not-null", "public.users.password_digest", "null"),
            ("shifted-partition-key", "public.events.occurred_on", "date-shift:30"),
            ("name-on-unique", "public.users.username", "name"),
            ("other-rule-on-foreign-key", "public.orders.customer_email", "hash"),
        ]
        for (profile, column, rule) in cases {
            try assertRefusedOrRestores(profile, SanitizeFixture.rules(setting: column, to: rule), naming: column)
        }
        try assertRefusedOrRestores("truncated-referenced", SanitizeFixture.columnRules, truncate: SanitizeFixture.truncated + ["public.companies"],
                                    naming: "public.companies")
    }

    /// Email addresses are case-insensitive, and citext compares them so: a delivery to
    /// "reader.2@mail.example.org" refers to the subscriber "Reader.2@Mail.Example.org" by a
    /// citext foreign key. The email rule must give both one output (or dpm must refuse), else the
    /// sanitized snapshot cannot be restored.
    func testEmailsDifferingOnlyInCaseStayOneUnderCitext() throws {
        let newsletter = harness.prefix + "_newsletter"
        try harness.psql("CREATE DATABASE \"\(newsletter)\"", in: "postgres")
        try harness.psql("""
            CREATE EXTENSION citext;
            CREATE TABLE subscribers (id serial PRIMARY KEY, email citext NOT NULL UNIQUE);
            CREATE TABLE deliveries (id serial PRIMARY KEY, recipient_email citext NOT NULL REFERENCES subscribers (email), sent_at timestamptz NOT NULL);
            INSERT INTO subscribers (email)
            SELECT CASE WHEN i % 2 = 0 THEN 'Reader.' || i || '@Mail.Example.org' ELSE 'reader.' || i || '@mail.example.org' END FROM generate_series(1, 100) i;
            INSERT INTO deliveries (recipient_email, sent_at) SELECT lower(email::text), TIMESTAMPTZ '2026-01-05 08:00+00' + id * interval '1 hour' FROM subscribers;
            """, in: newsletter)
        let rules = [(column: "public.subscribers.email", rule: "email"), (column: "public.deliveries.recipient_email", rule: "email")]
        try assertRefusedOrRestores("newsletter", rules, truncate: [], from: newsletter, naming: "email")
    }

    /// Phone columns hold what people typed: "ext. 12 (ask for Ulrike)" after the number. `phone`
    /// keeps a number's format, not the words next to it: no name typed into a phone field is
    /// stored.
    func testPhoneKeepsNoWordsTypedNextToTheNumber() throws {
        let crm = harness.prefix + "_phones"
        try harness.psql("CREATE DATABASE \"\(crm)\"", in: "postgres")
        try harness.psql("""
            CREATE TABLE contacts (id serial PRIMARY KEY, phone text);
            INSERT INTO contacts (phone) VALUES ('+44 20 7946 0958 ext. 12 (ask for Ulrike)'), ('06 12 34 56 78 - Zuzana, evenings only'),
                                                ('+49 30 901820 (Sekretariat Frau Bergström)');
            """, in: crm)
        try writeProfile("phones", columns: [(column: "public.contacts.phone", rule: "phone")], truncate: [])
        let upload = harness.dpm(try uploadArguments("phones", from: crm) + ["--json"], environment: keyEnvironment())
        XCTAssertEqual(upload.status, 0, upload.stderr)
        let snapshot = try CanonicalJSON.decode(Snapshot.self, from: XCTUnwrap(harness.read("profiles/phones/manifest.json")), what: "manifest")
        let stored = try harness.dpmObject(try XCTUnwrap(snapshot.data.first { $0.table == "public.contacts" }).sha256)
        XCTAssertEqual(["Ulrike", "Zuzana", "Bergström"].filter { stored.contains($0) }, [], "names typed into phone fields were stored: \(stored)")
    }

    /// `dpm sanitize check` suggests, for a column with a unique index (users.username, like
    /// "name"), a rule whose outputs keep it unique: pasted as suggested, the upload stores a
    /// snapshot that restores (or refuses, naming the column).
    func testSuggestionForAUniqueColumnRestores() throws {
        var rules = SanitizeFixture.rules(setting: "public.users.username", to: nil)
        try writeProfile(columns: rules)
        let check = try sanitizeCheck()
        XCTAssertEqual(check.status, 1, check.stderr)
        let suggested = try suggestedRules(in: check.stdout)
        XCTAssertEqual(suggested.columns.keys.map(\.description), ["public.users.username"], check.stdout)
        rules += suggested.columns.map { (column: $0.key.description, rule: $0.value.description) }
        try assertRefusedOrRestores("user-generated", rules, naming: "public.users.username")
    }

    /// Past DPM_SANITIZE_LEAK_CHECK_LIMIT distinct original values the upload stops with a
    /// sentence naming the variable (memory stays bounded), and a limit that is no number is
    /// refused; exit 1 and nothing stored either time.
    func testLeakCheckLimitIsStatedAndEnforced() throws {
        try writeProfile()
        var environment = keyEnvironment()
        environment["DPM_SANITIZE_LEAK_CHECK_LIMIT"] = "1000"
        let full = try harness.assertRefused(try uploadArguments(), environment: environment, says: "DPM_SANITIZE_LEAK_CHECK_LIMIT")
        XCTAssertEqual(full.status, 1)
        XCTAssertTrue(full.stderr.contains("1000"), full.stderr)
        environment["DPM_SANITIZE_LEAK_CHECK_LIMIT"] = "lots"
        let malformed = try harness.assertRefused(try uploadArguments(), environment: environment, says: "DPM_SANITIZE_LEAK_CHECK_LIMIT")
        XCTAssertEqual(malformed.status, 1)
        try assertNothingStored()
    }

    // MARK: - The key

    /// Without DPM_SANITIZE_KEY an upload of a profile with rules stops before it reads anything
    /// (here: before it would find the source unreachable), naming the variable; a key shorter
    /// than 16 characters is refused, and never shown. Exit 1 and nothing stored either time.
    func testMissingOrShortKeyIsRefusedBeforeAnythingIsRead() throws {
        try writeProfile()
        let missing = try harness.assertRefused(["upload", "user-generated", "--no-media", "--from", "host=127.0.0.1 port=1 dbname=production"],
                                                environment: keyEnvironment(""), says: "DPM_SANITIZE_KEY")
        XCTAssertEqual(missing.status, 1)
        XCTAssertFalse(missing.stderr.contains("127.0.0.1"), "the key is checked before the source is read: \(missing.stderr)")

        let shortKey = "fifteen-chars!!"
        let short = try harness.assertRefused(try uploadArguments(), environment: keyEnvironment(shortKey), says: "at least 16 characters")
        XCTAssertEqual(short.status, 1)
        XCTAssertTrue(short.stderr.contains("DPM_SANITIZE_KEY"), short.stderr)
        XCTAssertFalse(short.stderr.contains(shortKey), "the key is never shown")
        try assertNothingStored()
    }

    // MARK: - The leak check

    /// A free-text column holding customers' emails with no rule (the profile's own `sensitive:`
    /// patterns do not flag "notes") is caught by the leak check: exit 1 naming public.users.notes
    /// and the number of hits (500 notes name an email, one each, some followed by a full stop),
    /// never an email; nothing stored.
    func testLeakCheckCatchesEmailsInFreeTextWithoutARule() throws {
        let patterns = ["email", "phone", "mobile", "name", "ip", "token", "password", "birth", "address", "street", "city", "zip", "card"]
        try writeProfile(columns: SanitizeFixture.rules(setting: "public.users.notes", to: nil), sensitive: patterns)
        let hits = try sourceHarness().psql("SELECT count(*) FROM users WHERE notes ~ '@'")
        XCTAssertEqual(hits, "500")
        let run = try harness.assertRefused(try uploadArguments(), environment: keyEnvironment(), says: "public.users.notes")
        XCTAssertEqual(run.status, 1)
        XCTAssertNotNil(run.stderr.range(of: "\\b\(hits)\\b", options: .regularExpression), "the number of hits: \(run.stderr)")
        try assertNamesNoOriginal(run)
        try assertNothingStored()
    }

    /// A column kept as it is whose values are original values of a sanitized column (a parcel's
    /// recipient is mostly the customer, whose name the `name` rule replaces) is caught: exit 1
    /// naming public.addresses.recipient_name and the number of hits (the rows holding a users.full_name or a
    /// crm_contacts.contact_name); nothing stored.
    func testLeakCheckCatchesAKeptColumnHoldingOriginalsOfASanitizedOne() throws {
        try writeProfile(columns: SanitizeFixture.rules(setting: "public.addresses.recipient_name", to: "keep"))
        // A char(n) value counts without its padding, as PostgreSQL compares it.
        let hits = try sourceHarness().psql("""
            SELECT count(*) FROM addresses a WHERE EXISTS (SELECT FROM users u WHERE u.full_name = a.recipient_name)
                OR EXISTS (SELECT FROM crm_contacts c WHERE rtrim(c.contact_name) = a.recipient_name)
            """)
        XCTAssertGreaterThanOrEqual(Int(hits) ?? 0, 1980)
        let run = try harness.assertRefused(try uploadArguments(), environment: keyEnvironment(), says: "public.addresses.recipient_name")
        XCTAssertEqual(run.status, 1)
        XCTAssertNotNil(run.stderr.range(of: "\\b\(hits)\\b", options: .regularExpression), "the number of hits: \(run.stderr)")
        try assertNamesNoOriginal(run)
        try assertNothingStored()
    }

    /// A rule that leaves values as they were is no sanitizing: `mask:16` on 16-digit card
    /// numbers masks nothing, so the originals would be stored; the leak check catches them (a
    /// value of a sanitized column found in a stored field): exit 1 naming
    /// public.payment_methods.card_number, never a number; nothing stored.
    func testLeakCheckCatchesARuleThatLeavesValuesAsTheyWere() throws {
        try writeProfile(columns: SanitizeFixture.rules(setting: "public.payment_methods.card_number", to: "mask:16"))
        let run = try harness.assertRefused(try uploadArguments(), environment: keyEnvironment(), says: "public.payment_methods.card_number")
        XCTAssertEqual(run.status, 1)
        let cards = try sourceHarness().psql("SELECT card_number FROM payment_methods").split(separator: "\n")
        XCTAssertFalse(cards.contains { run.stderr.contains($0) }, run.stderr)
        try assertNothingStored()
    }

    // MARK: - Unclassified columns

    /// Personal-looking columns without a rule (users.mobile_phone, addresses.zip_code) stop the
    /// upload before anything is stored, naming both (and not the columns of truncated tables, nor
    /// the partitions of a table whose rules are on its parent). `dpm sanitize check` names the same
    /// two, exits 1 and prints a YAML block of suggestions that parses and, pasted under
    /// `sanitize: columns:`, makes the check exit 0 and the upload succeed; its --json output parses.
    func testUnclassifiedColumnsAreRefusedAndSanitizeCheckSuggestsRules() throws {
        let unclassified = ["public.users.mobile_phone", "public.addresses.zip_code"]
        var rules = SanitizeFixture.columnRules.filter { !unclassified.contains($0.column) }
        try writeProfile(columns: rules)
        let refused = try harness.assertRefused(try uploadArguments(), environment: keyEnvironment(), says: unclassified[0])
        XCTAssertEqual(refused.status, 1)
        XCTAssertTrue(refused.stderr.contains(unclassified[1]), refused.stderr)
        for needsNoRule in ["sessions", "password_resets", "login_attempts", "events_2025", "events_2026"] {
            XCTAssertFalse(refused.stderr.contains(needsNoRule), "\(needsNoRule) needs no rules of its own: \(refused.stderr)")
        }

        let check = try sanitizeCheck()
        XCTAssertEqual(check.status, 1, check.stderr)
        for column in unclassified { XCTAssertTrue(check.stdout.contains(column), check.stdout) }
        let json = try sanitizeCheck("--json")
        XCTAssertEqual(json.status, 1, json.stderr)
        XCTAssertNoThrow(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)), json.stdout)
        for column in ["mobile_phone", "zip_code"] { XCTAssertTrue(json.stdout.contains(column), json.stdout) }

        // The same report from a directory dump of the database, read without one.
        let dump = "\(harness.root)/nightly.dir"
        let made = harness.command("pg_dump", ["--format=directory", "--file=\(dump)", "--dbname=\(try sourceHarness().database)"])
        XCTAssertEqual(made.status, 0, made.stderr)
        let fromDump = harness.dpm(["sanitize", "check", "user-generated", "--from-dump", dump, "--json"], environment: keyEnvironment())
        XCTAssertEqual(fromDump.status, 1, fromDump.stderr)
        var live = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        var dumped = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(fromDump.stdout.utf8)) as? [String: Any], fromDump.stdout)
        XCTAssertEqual(dumped.removeValue(forKey: "database") as? String, "the dump nightly.dir")
        live.removeValue(forKey: "database")
        XCTAssertEqual(NSDictionary(dictionary: dumped), NSDictionary(dictionary: live))

        let suggested = try suggestedRules(in: check.stdout)
        XCTAssertEqual(Set(suggested.columns.keys.map(\.description)), Set(unclassified), check.stdout)
        rules += suggested.columns.map { (column: $0.key.description, rule: $0.value.description) }
        try writeProfile(columns: rules)
        let passing = try sanitizeCheck()
        XCTAssertEqual(passing.status, 0, passing.stdout + passing.stderr)
        let upload = harness.dpm(try uploadArguments(), environment: keyEnvironment())
        XCTAssertEqual(upload.status, 0, "the suggested rules fit: \(upload.stderr)")
    }

    /// The default patterns zip, lat, lng and geo catch the usual spellings of the columns they
    /// stand for: a geocoded delivery address's zipcode, latitude, longitude and geolocation (a
    /// customer's home, to a few metres) are unclassified without rules.
    func testUsualSpellingsOfLocationColumnsAreUnclassified() throws {
        let deliveries = harness.prefix + "_deliveries"
        try harness.psql("CREATE DATABASE \"\(deliveries)\"", in: "postgres")
        try harness.psql("""
            CREATE TABLE delivery_addresses (id serial PRIMARY KEY, street text, zipcode text, latitude numeric(9,6), longitude numeric(9,6), geolocation point);
            INSERT INTO delivery_addresses (street, zipcode, latitude, longitude, geolocation)
            VALUES ('12 rue de la Paix', '75002', 48.869282, 2.331570, point(48.869282, 2.331570)),
                   ('Königstraße 7', '70173', 48.778090, 9.177760, point(48.778090, 9.177760));
            """, in: deliveries)
        try writeProfile("deliveries", columns: [(column: "public.delivery_addresses.street", rule: "text")], truncate: [])
        let check = harness.dpm(["sanitize", "check", "deliveries", "--from", "dbname=\(deliveries)"], environment: keyEnvironment())
        XCTAssertEqual(check.status, 1, check.stdout)
        for column in ["zipcode", "latitude", "longitude", "geolocation"] {
            XCTAssertTrue(check.stdout.contains("public.delivery_addresses.\(column)"), "\(column) looks personal: \(check.stdout)")
        }
    }

    // MARK: - What profile show, profile list and status say

    /// `profile show`, `profile list` and `status` say "sanitized" for a profile uploaded with
    /// rules (under a key of exactly 16 characters, the shortest allowed) and "NOT sanitized" for
    /// one uploaded without.
    func testProfileShowListAndStatusSaySanitizedOrNot() throws {
        try writeProfile()
        let sanitizedUpload = harness.dpm(try uploadArguments(), environment: keyEnvironment("sixteen-chars-ok"))
        XCTAssertEqual(sanitizedUpload.status, 0, sanitizedUpload.stderr)
        try harness.write("kind: customer\ndescription: Acme's production data\n", to: "profiles/customer-acme/profile.yaml")
        let plain = harness.dpm(try uploadArguments("customer-acme"), environment: keyEnvironment(""))
        XCTAssertEqual(plain.status, 0, plain.stderr)

        let sanitized = harness.dpm("profile", "show", "user-generated").stdout
        XCTAssertTrue(sanitized.contains("sanitized") && !sanitized.contains("NOT sanitized"), sanitized)
        let notSanitized = harness.dpm("profile", "show", "customer-acme").stdout
        XCTAssertTrue(notSanitized.contains("NOT sanitized"), notSanitized)
        for output in [harness.dpm("profile", "list").stdout, harness.dpm("status").stdout] {
            let rows = output.split(separator: "\n")
            let sanitizedRow = try XCTUnwrap(rows.first { $0.hasPrefix("user-generated ") }, output)
            XCTAssertTrue(sanitizedRow.contains("sanitized") && !sanitizedRow.contains("NOT sanitized"), output)
            let plainRow = try XCTUnwrap(rows.first { $0.hasPrefix("customer-acme ") }, output)
            XCTAssertTrue(plainRow.contains("NOT sanitized"), output)
        }
    }
}

// MARK: - The fixture database, made once for the class

/// The project whose working database holds SanitizeFixture, and the database restored from a
/// sanitized upload of it. Tests only read both; the class's tearDown drops them.
private final class SharedFixture {
    let harness: Harness
    var sanitizedCopy: String?

    init(harness: Harness) { self.harness = harness }
}

extension SanitizeUploadTests {
    private static let shared = Locked<SharedFixture?>(nil)

    private func sourceHarness() throws -> Harness {
        try Self.shared.withValue { fixture in
            if let fixture { return fixture.harness }
            let made = try Harness()
            do {
                try SanitizeFixture.create(in: made)
            } catch {
                made.tearDown()
                throw error
            }
            fixture = SharedFixture(harness: made)
            return made
        }
    }

    /// The database restored, without the key, from the fixture uploaded with all of its rules.
    private func sanitizedCopy() throws -> String {
        let source = try sourceHarness()
        return try Self.shared.withValue { fixture in
            if let copy = fixture?.sanitizedCopy { return copy }
            try source.write(SanitizeFixture.profile(), to: "profiles/user-generated/profile.yaml")
            let upload = source.dpm(["upload", "user-generated", "--no-media"], environment: keyEnvironment())
            guard upload.status == 0 else { throw DPMError.internal("The sanitized upload of the fixture failed: \(upload.stderr)") }
            let copy = source.prefix + "_sanitized"
            let restore = source.dpm(["restore", "user-generated", "--into", copy], environment: keyEnvironment(""))
            guard restore.status == 0 else { throw DPMError.internal("Restoring the sanitized snapshot failed: \(restore.stderr)") }
            fixture?.sanitizedCopy = copy
            return copy
        }
    }

    // MARK: Running dpm

    private func keyEnvironment(_ key: String = SanitizeFixture.key) -> [String: String] { ["DPM_SANITIZE_KEY": key] }

    /// `dpm upload PROFILE` from `database`, by default the fixture's.
    private func uploadArguments(_ profile: String = "user-generated", from database: String? = nil) throws -> [String] {
        ["upload", profile, "--no-media", "--from", "dbname=\(try database ?? sourceHarness().database)"]
    }

    private func writeProfile(_ name: String = "user-generated", columns: [(column: String, rule: String)] = SanitizeFixture.columnRules,
                              truncate: [String] = SanitizeFixture.truncated, sensitive: [String]? = nil) throws {
        try harness.write(SanitizeFixture.profile(columns: columns, truncate: truncate, sensitive: sensitive), to: "profiles/\(name)/profile.yaml")
    }

    /// Uploads `profile` with `rules`: either refused in one sentence naming `column` (exit 1,
    /// nothing changed), or the snapshot it stored restores into a new database.
    private func assertRefusedOrRestores(_ profile: String, _ rules: [(column: String, rule: String)], truncate: [String] = SanitizeFixture.truncated,
                                         from database: String? = nil, naming column: String, line: UInt = #line) throws {
        try writeProfile(profile, columns: rules, truncate: truncate)
        let before = try harness.stateFingerprint()
        let upload = harness.dpm(try uploadArguments(profile, from: database), environment: keyEnvironment())
        guard upload.status == 0 else {
            XCTAssertEqual(upload.status, 1, upload.stderr, line: line)
            XCTAssertTrue(upload.stderr.hasPrefix("error: ") && upload.stderr.filter { $0 == "\n" }.count == 1, upload.stderr, line: line)
            XCTAssertTrue(upload.stderr.contains(column), "the refusal names \(column): \(upload.stderr)", line: line)
            XCTAssertEqual(try harness.stateFingerprint(), before, "state changed", line: line)
            return
        }
        let restore = harness.dpm(["restore", profile, "--into", "\(harness.prefix)_restored_\(profile.replacingOccurrences(of: "-", with: "_"))"])
        XCTAssertEqual(restore.status, 0, "profile \(profile) was uploaded into a snapshot that cannot be restored: \(restore.stderr)", line: line)
    }

    private func sanitizeCheck(_ extra: String...) throws -> Harness.Run {
        harness.dpm(["sanitize", "check", "user-generated", "--from", "dbname=\(try sourceHarness().database)"] + extra, environment: keyEnvironment())
    }

    /// Uploads the profile with `key`; the snapshot record the store holds, and what --json printed.
    private func uploadSnapshot(key: String, _ extra: String...) throws -> (record: Snapshot, output: [String: Any]) {
        let run = harness.dpm(try uploadArguments() + extra + ["--json"], environment: keyEnvironment(key))
        guard run.status == 0 else { throw DPMError.internal("dpm upload failed: \(run.stderr)") }
        let output = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any], run.stdout)
        let id = try XCTUnwrap(output["snapshot"] as? String)
        let record = try CanonicalJSON.decode(Snapshot.self, from: XCTUnwrap(harness.read(".dpm/store/snapshots/user-generated/\(id).json")), what: "record")
        return (record, output)
    }

    /// Table → the SHA-256 of its data object.
    private func tableObjects(_ snapshot: Snapshot) -> [String: String] {
        Dictionary(snapshot.data.compactMap { artifact in artifact.table.map { ($0, artifact.sha256) } }) { first, _ in first }
    }

    /// The YAML block of `sanitize check`'s suggestions: the lines under its `columns:` line or,
    /// without one, its `schema.table.column: rule` lines, read as a profile's `sanitize.columns`.
    private func suggestedRules(in report: String) throws -> SanitizeRules {
        let lines = report.components(separatedBy: "\n")
        var block: [String]
        if let start = lines.firstIndex(where: { $0.trimmingCharacters(in: .whitespaces) == "columns:" }) {
            let indent = lines[start].prefix { $0 == " " }.count
            block = Array(lines[(start + 1)...].prefix { $0.trimmingCharacters(in: .whitespaces).isEmpty || $0.prefix { $0 == " " }.count > indent })
        } else {
            block = lines.filter { $0.range(of: #"^\s*[a-z_][a-z0-9_]*\.[a-z_][a-z0-9_]*\.[a-z_][a-z0-9_]*:\s+\S"#, options: .regularExpression) != nil }
        }
        while block.last?.trimmingCharacters(in: .whitespaces).isEmpty == true { block.removeLast() }
        XCTAssertFalse(block.isEmpty, "no YAML block in: \(report)")
        let yaml = "columns:\n" + block.map { "  " + $0 }.joined(separator: "\n") + "\n"
        return try SanitizeRules(yaml: yaml, displayName: "the suggestions of dpm sanitize check")
    }

    // MARK: Comparing the source with the sanitized copy

    /// Rows of every table of the public schema (a partitioned parent counts its partitions' rows).
    private func rowCounts(in database: String) throws -> [String: Int] {
        let sql = """
        SELECT 'public.' || relname || '|' || (xpath('/row/c/text()', query_to_xml(format('SELECT count(*) AS c FROM public.%I', relname), false, true, '')))[1]::text
        FROM pg_class WHERE relkind IN ('r', 'p') AND relnamespace = 'public'::regnamespace
        """
        var counts: [String: Int] = [:]
        for line in try harness.psql(sql, in: database).split(separator: "\n") {
            let parts = line.split(separator: "|")
            counts[String(parts[0])] = Int(parts[1])
        }
        return counts
    }

    /// `expression` of each row of `table` (by id) in the source and in the sanitized copy.
    private func beforeAndAfter(_ table: String, _ expression: String) throws -> [(before: String, after: String)] {
        let sql = "SELECT id || '|' || coalesce((\(expression))::text, '<NULL>') FROM \(table)"
        func values(_ database: String) throws -> [String: String] {
            var values: [String: String] = [:]
            for line in try harness.psql(sql, in: database).split(separator: "\n", omittingEmptySubsequences: false) {
                guard let bar = line.firstIndex(of: "|") else { continue }
                values[String(line[..<bar])] = String(line[line.index(after: bar)...])
            }
            return values
        }
        let before = try values(try sourceHarness().database), after = try values(try sanitizedCopy())
        XCTAssertEqual(Set(before.keys), Set(after.keys), "\(table) keeps its rows")
        return before.keys.sorted().map { (before[$0]!, after[$0] ?? "<missing>") }
    }

    private func differing(_ table: String, _ expression: String) throws -> Int {
        try beforeAndAfter(table, expression).filter { $0.before != $0.after }.count
    }

    /// Rows whose non-NULL value the rule left as it was.
    private func unchanged(_ table: String, _ expression: String) throws -> Int {
        try beforeAndAfter(table, expression).filter { $0.before == $0.after && $0.before != "<NULL>" }.count
    }

    /// `date-shift:DAYS`: every value moved by a whole, non-zero number of days within ±DAYS
    /// (`unit` is a day in the expression's numbers: 1 for dates, 86 400 for epoch seconds).
    private func assertShifted(_ table: String, _ expression: String, unit: Int, within days: Int, line: UInt = #line) throws {
        for row in try beforeAndAfter(table, expression) where row.before != "<NULL>" {
            let shift = try XCTUnwrap(Int(row.after), "\(table) \(expression): \(row.after)", line: line) - Int(row.before)!
            guard shift % unit == 0, (1...days).contains(abs(shift / unit)) else {
                return XCTFail("\(table) \(expression): \(row.before) → \(row.after) is no shift of 1 to \(days) days", line: line)
            }
        }
    }

    /// `int-noise:PCT`: every value within ±PCT% (plus the rounding to its scale), its sign kept,
    /// and some values changed.
    private func assertNoised(_ table: String, _ column: String, percent: Double, rounding: Double, line: UInt = #line) throws {
        var changed = 0
        for row in try beforeAndAfter(table, column) where row.before != "<NULL>" {
            let (before, after) = (Double(row.before)!, try XCTUnwrap(Double(row.after), "\(table).\(column): \(row.after)", line: line))
            guard abs(after - before) <= abs(before) * percent / 100 + rounding, after.sign == before.sign, after != 0 else {
                return XCTFail("\(table).\(column): \(row.before) → \(row.after) is not within \(percent)%", line: line)
            }
            if after != before { changed += 1 }
        }
        XCTAssertGreaterThan(changed, 0, "int-noise changed some of \(table).\(column)", line: line)
    }

    // MARK: Leaks

    /// No original value of a personal column is a field of the copy's data, no original name,
    /// street or city is inside any text, and every email in it is a sanitized one.
    private func assertNoOriginals(in copy: String, from source: String) throws {
        let dump = harness.command("pg_dump", ["--data-only", "--no-comments", "-d", copy])
        XCTAssertEqual(dump.status, 0, dump.stderr)
        let fields = Set(dump.stdout.split { $0 == "\t" || $0 == "\n" }.map(String.init))
        let originals = try harness.psql("""
            SELECT v FROM users, LATERAL (VALUES (email), (username), (full_name), (phone), (mobile_phone), (api_token), (public_id::text), (host(last_login_ip))) AS o(v)
            WHERE v IS NOT NULL
            UNION SELECT v FROM payment_methods, LATERAL (VALUES (card_number::text), (card_fingerprint::text)) AS o(v)
            UNION SELECT v FROM employees, LATERAL (VALUES (first_name), (last_name), (work_email::text)) AS o(v)
            UNION SELECT recipient_name FROM addresses
            UNION SELECT "emailAddress"::text FROM "NewsletterSubscriber"
            UNION SELECT v FROM crm_contacts, LATERAL (VALUES (contact_email::text), (billing_email), (account_token::text), (external_ref), (iban::text),
                                                         (passport_number), (vat_number), (secret_answer)) AS o(v) WHERE v IS NOT NULL
            """, in: source).split(separator: "\n").map(String.init)
        XCTAssertGreaterThan(originals.count, 10_000)
        let found = fields.intersection(originals)
        XCTAssertEqual(found.count, 0, "original values in the sanitized copy, e.g. \(Array(found.prefix(3)))")
        let text = NSString(string: dump.stdout)
        XCTAssertEqual(SanitizeFixture.originalWords.filter { text.range(of: $0).location != NSNotFound }, [],
                       "names, streets and cities of the originals in the sanitized copy")
        let emails = emailTokens(in: dump.stdout)
        let sanitizedEmails = "SELECT (SELECT count(email) FROM users) + (SELECT count(*) FROM orders) + (SELECT count(user_email) FROM events) + (SELECT count(*) FROM employees) + (SELECT count(*) FROM \"NewsletterSubscriber\") "
            + "+ (SELECT count(contact_email) + count(billing_email) + count(assistant_email) FROM crm_contacts)"
        XCTAssertEqual(String(emails.count), try harness.psql(sanitizedEmails, in: source), "every sanitized email, and no other")
        XCTAssertEqual(emails.filter { !$0.hasSuffix("@example.com") }.prefix(3), [], "emails that are not sanitized ones")
    }

    /// A refusal names columns and counts, never a value.
    private func assertNamesNoOriginal(_ run: Harness.Run, line: UInt = #line) throws {
        let said = run.stdout + run.stderr
        let values = try sourceHarness().psql("SELECT email FROM users UNION SELECT full_name FROM users UNION SELECT work_email FROM employees")
        for value in values.split(separator: "\n") where said.contains(value) {
            return XCTFail("the refusal shows an original value: \(said)", line: line)
        }
    }

    /// A refused upload records nothing and stores nothing (harness.assertRefused compares the
    /// whole store, too); and no object holds an original value of a sanitized column: every
    /// object's plaintext, in a pack or on its own, is cut into COPY fields and email-shaped
    /// tokens, each looked for among the originals.
    private func assertNothingStored(line: UInt = #line) throws {
        XCTAssertNil(harness.read("profiles/user-generated/manifest.json"), "no manifest", line: line)
        XCTAssertFalse(FileManager.default.fileExists(atPath: "\(harness.store)/snapshots/user-generated"), "no snapshot record", line: line)
        let originals = Set(try sourceHarness().psql("""
            SELECT email FROM users UNION SELECT full_name FROM users UNION SELECT work_email FROM employees
                UNION SELECT card_number FROM payment_methods UNION SELECT rtrim(contact_name) FROM crm_contacts
            """).split(separator: "\n").map(String.init))
        XCTAssertGreaterThan(originals.count, 1000, line: line)
        for (id, plaintext) in try LocalStoreAccess.plaintexts(in: harness.store) {
            let text = String(decoding: plaintext, as: UTF8.self)
            let pieces = text.split { $0 == "\t" || $0 == "\n" }.map(String.init) + emailTokens(in: text)
            if let found = pieces.first(where: originals.contains) {
                return XCTFail("object \(id) holds the original value \(found)", line: line)
            }
        }
    }

    /// Email-shaped tokens of a text (a full stop that ends a sentence is not part of one).
    private func emailTokens(in text: String) -> [String] {
        let allowed = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._%+-@".utf8)
        var tokens: [String] = []
        var current: [UInt8] = []
        func finish() {
            while current.last == UInt8(ascii: ".") { current.removeLast() }
            if let at = current.firstIndex(of: UInt8(ascii: "@")), at > 0, current[at...].contains(UInt8(ascii: ".")) {
                tokens.append(String(decoding: current, as: UTF8.self))
            }
            current.removeAll(keepingCapacity: true)
        }
        for byte in text.utf8 {
            if allowed.contains(byte) { current.append(byte) } else { finish() }
        }
        finish()
        return tokens
    }
}
