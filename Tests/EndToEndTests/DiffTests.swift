import DatasetKit
import Foundation
import XCTest

/// dpm diff through the real binary: two snapshots of a profile between which a table was
/// added, one changed (with a column added), one removed, media files added, changed and
/// removed and a migration applied; the working database against them; and the refusals.
final class DiffTests: XCTestCase {
    private var harness: Harness!

    override func setUpWithError() throws { harness = try Harness() }
    override func tearDown() { harness?.tearDown() }

    private struct Two {
        var first: Snapshot
        var second: Snapshot
    }

    @discardableResult
    private func dpmOK(_ arguments: String..., environment: [String: String] = [:]) throws -> Harness.Run {
        let run = harness.dpm(arguments, environment: environment)
        guard run.status == 0 else { throw DPMError.internal("dpm \(arguments.joined(separator: " ")) failed: \(run.stderr)") }
        return run
    }

    private func manifest(_ profile: String = "ug") throws -> Snapshot {
        try CanonicalJSON.decode(Snapshot.self, from: XCTUnwrap(harness.read("profiles/\(profile)/manifest.json")), what: "manifest")
    }

    private func report(_ arguments: String..., environment: [String: String] = [:]) throws -> DiffReport {
        let run = harness.dpm(["diff"] + arguments + ["--json"], environment: environment)
        XCTAssertEqual(run.status, 0, run.stderr)
        XCTAssertEqual(run.stderr, "", "nothing to say on stderr")
        return try JSONDecoder().decode(DiffReport.self, from: Data(run.stdout.utf8))
    }

    /// The first upload has a table `legacy`; before the second (tagged v2), `legacy` is
    /// dropped, `invoices` created, `audit_log` gets a column and a row, a migration is
    /// recorded, and of the media readme.txt changes, `empty` goes and new.txt comes.
    private func makeTwoSnapshots(environment: [String: String] = [:]) throws -> Two {
        try harness.psql("CREATE TABLE legacy (id integer PRIMARY KEY, what text); INSERT INTO legacy SELECT i, 'old ' || i FROM generate_series(1, 40) i")
        try dpmOK("upload", "ug", "-m", "first", environment: environment)
        let first = try manifest()
        // Ids order snapshots by the second they were made in.
        Thread.sleep(forTimeInterval: 1.05)
        try harness.psql("""
            DROP TABLE legacy;
            CREATE TABLE invoices (id serial PRIMARY KEY, total numeric);
            INSERT INTO invoices (total) SELECT i * 10 FROM generate_series(1, 12) i;
            ALTER TABLE audit_log ADD COLUMN source text;
            INSERT INTO audit_log (entry, source) VALUES ('after the first upload', 'diff test');
            INSERT INTO schema_migrations VALUES ('20260301000000');
            """)
        try harness.write("hello, again", to: "media/readme.txt")
        try FileManager.default.removeItem(atPath: "\(harness.media)/empty")
        try harness.write("new in the second", to: "media/new.txt")
        try dpmOK("upload", "ug", "-m", "second", "--tag", "v2", environment: environment)
        let second = try manifest()
        XCTAssertNotEqual(first.id, second.id)
        return Two(first: first, second: second)
    }

    private func plainProject() throws {
        try Fixture.create(in: harness)
        try Fixture.createMedia(in: harness)
        try dpmOK("profile", "create", "ug", "--kind", "shared")
    }

    private func table(_ snapshot: Snapshot, _ name: String) throws -> TableFigures {
        let artifact = try XCTUnwrap(snapshot.data.first { $0.table == name }, name)
        return TableFigures(rows: try XCTUnwrap(artifact.rows), bytes: artifact.size, id: artifact.sha256)
    }

    func testTwoSnapshotsShowTheTablesSchemaMediaAndMigrationsThatChanged() throws {
        try plainProject()
        let two = try makeTwoSnapshots()
        let diff = try report("ug@\(two.first.id)", "ug@v2")

        XCTAssertEqual(diff.before, DiffSideSummary(side: "ug@\(two.first.id)", profile: "ug", snapshot: two.first.id, tag: nil,
                                                    createdAt: two.first.createdAt, message: "first"))
        XCTAssertEqual(diff.after, DiffSideSummary(side: "ug@v2", profile: "ug", snapshot: two.second.id, tag: "v2",
                                                   createdAt: two.second.createdAt, message: "second"))
        XCTAssertFalse(diff.identical)

        // Tables: each with the figures its snapshot's record gives.
        let tables = Dictionary(uniqueKeysWithValues: diff.tables.tables.map { ($0.table, $0) })
        XCTAssertEqual(diff.tables.tables.map(\.table), ["public.accounts", "public.audit_log", "public.invoices", "public.legacy",
                                                         "public.orders", "public.schema_migrations"])
        XCTAssertEqual(tables["public.invoices"]?.status, .added)
        XCTAssertNil(tables["public.invoices"]?.before)
        XCTAssertEqual(tables["public.invoices"]?.after, try table(two.second, "public.invoices"))
        XCTAssertEqual(tables["public.invoices"]?.after?.rows, 12)
        XCTAssertEqual(tables["public.legacy"]?.status, .removed)
        XCTAssertEqual(tables["public.legacy"]?.before, try table(two.first, "public.legacy"))
        XCTAssertEqual(tables["public.legacy"]?.before?.rows, 40)
        XCTAssertNil(tables["public.legacy"]?.after)
        XCTAssertEqual(tables["public.audit_log"]?.status, .changed)
        XCTAssertEqual(tables["public.audit_log"]?.before?.rows, 500)
        XCTAssertEqual(tables["public.audit_log"]?.after?.rows, 501)
        XCTAssertEqual(tables["public.audit_log"]?.after, try table(two.second, "public.audit_log"))
        XCTAssertEqual(tables["public.schema_migrations"]?.status, .changed)
        XCTAssertEqual(tables["public.accounts"]?.status, .unchanged)
        XCTAssertEqual(tables["public.accounts"]?.before, tables["public.accounts"]?.after)
        XCTAssertEqual(tables["public.orders"]?.status, .unchanged)
        XCTAssertEqual([diff.tables.added, diff.tables.removed, diff.tables.changed, diff.tables.unchanged], [1, 1, 2, 2])
        XCTAssertEqual(diff.tables.comparedBy, "sha256")

        // The schema, as a unified diff of the stored dumps: the added column among the rest.
        let schema = diff.schema
        XCTAssertFalse(schema.identical)
        XCTAssertTrue(schema.unified.hasPrefix("--- ug@\(two.first.id)\n+++ ug@\(two.second.id)\n@@ -"), schema.unified)
        let lines = schema.unified.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        XCTAssertTrue(lines.contains("+    source text"), schema.unified)
        XCTAssertTrue(lines.contains("-    entry text"), schema.unified)
        XCTAssertTrue(lines.contains("+    entry text,"), schema.unified)
        XCTAssertTrue(lines.contains("+CREATE TABLE public.invoices ("), schema.unified)
        XCTAssertTrue(lines.contains("-CREATE TABLE public.legacy ("), schema.unified)
        XCTAssertEqual(schema.linesAdded, lines.dropFirst(2).count(where: { $0.hasPrefix("+") }))
        XCTAssertEqual(schema.linesRemoved, lines.dropFirst(2).count(where: { $0.hasPrefix("-") }))

        // Media, from each snapshot's media index.
        XCTAssertTrue(diff.media.compared)
        XCTAssertEqual(diff.media.files.map(\.path), ["empty", "new.txt", "readme.txt"])
        XCTAssertEqual(diff.media.files.map(\.status), [.removed, .added, .changed])
        XCTAssertEqual(diff.media.files[1].after?.size, Int64("new in the second".utf8.count))
        XCTAssertEqual(diff.media.files[2].before?.size, 5)
        XCTAssertEqual(diff.media.files[2].after?.size, 12)
        XCTAssertEqual(diff.media.files[2].after?.id, SHA256Hex.of(Data("hello, again".utf8)))
        XCTAssertEqual(diff.media.unchanged, 2)

        // Migrations: the version only the second has.
        XCTAssertEqual(diff.migrations.map(\.table), ["schema_migrations"])
        let migration = try XCTUnwrap(diff.migrations.first)
        XCTAssertEqual(migration.tool, "rails/dbmate")
        XCTAssertEqual([migration.appliedBefore, migration.appliedAfter], [2, 3])
        XCTAssertEqual([migration.latestBefore, migration.latestAfter], ["20260201000000", "20260301000000"])
        XCTAssertEqual(migration.onlyBefore, [])
        XCTAssertEqual(migration.onlyAfter, ["20260301000000"])

        // The other sides that name the same snapshots (the pinned one, a prefix) give the same comparison.
        let prefix = String(two.first.id.dropLast(2))
        let same = try report("ug@\(prefix)", "ug")
        XCTAssertEqual(same.before.snapshot, two.first.id)
        XCTAssertEqual(same.after.snapshot, two.second.id)
        XCTAssertNil(same.after.tag)
        XCTAssertEqual(same.schema, diff.schema)
        XCTAssertEqual(same.tables, diff.tables)
        XCTAssertEqual(same.media, diff.media)
        // The other way round, everything turns over.
        let back = try report("ug", "ug@\(two.first.id)")
        XCTAssertEqual(back.tables.tables.first { $0.table == "public.invoices" }?.status, .removed)
        XCTAssertEqual(back.migrations.first?.onlyBefore, ["20260301000000"])
        XCTAssertEqual([back.schema.linesAdded, back.schema.linesRemoved], [diff.schema.linesRemoved, diff.schema.linesAdded])

        // As text: the summary, what differs, then the schema diff; exit 0 although they differ.
        let text = try dpmOK("diff", "ug@\(two.first.id)", "ug@v2").stdout
        let changed = schema.linesAdded + schema.linesRemoved
        XCTAssertTrue(text.hasPrefix("""
            - ug@\(two.first.id) (\(two.first.createdAt), "first")
            + ug@\(two.second.id) (tag v2, \(two.second.createdAt), "second")

            Schema:      \(changed) lines changed (+\(schema.linesAdded) -\(schema.linesRemoved))
            Tables:      +1 -1 ~2, 2 unchanged (compared by sha256 of their data)
            Media:       +1 -1 ~1, 2 unchanged
            Migrations:  schema_migrations: +20260301000000

               TABLE                     ROWS BEFORE  ROWS AFTER  BYTES BEFORE  BYTES AFTER
            ~  public.audit_log          500          501
            """), text)
        XCTAssertTrue(text.contains("\n+  public.invoices           -            12          -             "), text)
        XCTAssertTrue(text.contains("\n-  public.legacy             40           -           "), text)
        XCTAssertTrue(text.contains("\n   MEDIA FILE  SIZE BEFORE  SIZE AFTER  WHAT\n-  empty       0 B          -           removed\n"), text)
        XCTAssertTrue(text.contains("\n~  readme.txt  5 B          12 B        content\n"), text)
        XCTAssertTrue(text.hasSuffix("\n" + schema.unified), "the schema diff last")

        // A snapshot against itself.
        let itself = try report("ug@v2", "ug")
        XCTAssertTrue(itself.identical)
        XCTAssertTrue(itself.schema.identical)
        XCTAssertEqual(itself.schema.unified, "")
        XCTAssertEqual(itself.tables.unchanged, 5)
        XCTAssertTrue(try dpmOK("diff", "ug@v2", "ug").stdout.contains("""
            Schema:      identical
            Tables:      +0 -0 ~0, 5 unchanged (compared by sha256 of their data)
            Media:       +0 -0 ~0, 4 unchanged
            Migrations:  identical (schema_migrations)

            """))
    }

    func testTheWorkingDatabaseIsMeasuredAsAnUploadWouldMeasureIt() throws {
        try plainProject()
        let two = try makeTwoSnapshots()

        // Just uploaded: the working database and media folder are the pinned snapshot.
        let fresh = try report("ug", "--working")
        XCTAssertEqual(fresh.after, DiffSideSummary(side: "--working", database: harness.database, mediaFolder: "media"))
        XCTAssertTrue(fresh.identical, "\(fresh.schema.unified) \(fresh.tables.tables.filter { $0.status != .unchanged })")
        XCTAssertEqual(fresh.tables.tables.map(\.after), fresh.tables.tables.map(\.before), "rows, bytes and ids as upload measured them")
        XCTAssertEqual(fresh.media.unchanged, 4)

        // The first snapshot restored: equal to it again, table by table and file by file.
        try dpmOK("restore", "ug", "--snapshot", two.first.id, "--force")
        let restored = try report("--working", "ug@\(two.first.id)")
        XCTAssertEqual(restored.before.database, harness.database)
        XCTAssertTrue(restored.identical, "\(restored.schema.unified) \(restored.tables.tables.filter { $0.status != .unchanged }) \(restored.media.files)")
        XCTAssertEqual(restored.tables.unchanged, 5)
        let toSecond = try report("--working", "ug@v2")
        XCTAssertEqual(toSecond.tables.tables.map(\.status), [.unchanged, .changed, .added, .removed, .unchanged, .changed])

        // Changed in place: an update keeps the row count but not the content; a permission bit and a new file.
        try harness.psql("UPDATE accounts SET name = name || ' (edited)' WHERE id = 1")
        chmod("\(harness.media)/readme.txt", 0o644)
        try harness.write("made locally", to: "media/local.txt")
        let before = try harness.stateFingerprint()
        let edited = try report("ug@\(two.first.id)", "--working")
        XCTAssertEqual(try harness.stateFingerprint(), before, "diff changes nothing")
        let accounts = try XCTUnwrap(edited.tables.tables.first { $0.table == "public.accounts" })
        XCTAssertEqual(accounts.status, .changed)
        XCTAssertEqual(accounts.before?.rows, 301)
        XCTAssertEqual(accounts.after?.rows, 301)
        XCTAssertEqual(accounts.after!.bytes - accounts.before!.bytes, Int64(" (edited)".utf8.count))
        XCTAssertEqual([edited.tables.added, edited.tables.removed, edited.tables.changed], [0, 0, 1])
        XCTAssertTrue(edited.schema.identical)
        XCTAssertEqual(edited.media.files.map(\.path), ["local.txt", "readme.txt"])
        XCTAssertEqual(edited.media.files.map(\.status), [.added, .changed])
        XCTAssertEqual(edited.media.files[1].before?.mode, 0o600)
        XCTAssertEqual(edited.media.files[1].after?.mode, 0o644)
        XCTAssertEqual(edited.media.files[1].before?.id, edited.media.files[1].after?.id)
        XCTAssertTrue(edited.migrations.allSatisfy(\.isIdentical))

        // A migration applied to the working database only.
        try harness.psql("INSERT INTO schema_migrations VALUES ('20260401000000')")
        let migrated = try report("ug@\(two.first.id)", "--working")
        XCTAssertEqual(migrated.migrations.first?.onlyAfter, ["20260401000000"])
        XCTAssertEqual(migrated.migrations.first?.latestAfter, "20260401000000")
        let text = try dpmOK("diff", "ug@\(two.first.id)", "--working").stdout
        XCTAssertTrue(text.contains("\n+ working database \(harness.database) (--working), media folder media\n"), text)
        XCTAssertTrue(text.contains("\nMigrations:  schema_migrations: +20260401000000\n"), text)
        XCTAssertTrue(text.contains("\n~  readme.txt  5 B          5 B         mode 600 -> 644\n"), text)
        XCTAssertTrue(text.contains("\n~  public.accounts           301          301         "), text)
    }

    func testAnEncryptedStoreComparesByKeyedIDs() throws {
        try EncryptedStoreFixture.createSource(in: harness)
        let alice = try EncryptedStoreFixture.person("alice", in: harness)
        try dpmOK("key", "add", alice.recipient)
        try dpmOK("profile", "create", "ug", "--kind", "shared")
        let two = try makeTwoSnapshots(environment: alice.environment)
        XCTAssertEqual(two.second.objectIDs, "hmac-sha256")
        let diff = try report("ug@\(two.first.id)", "ug", environment: alice.environment)
        XCTAssertEqual(diff.tables.comparedBy, "hmac-sha256")
        XCTAssertEqual(diff.tables.tables.first { $0.table == "public.audit_log" }?.status, .changed)
        XCTAssertTrue(diff.schema.unified.contains("\n+    source text\n"), "the schema object is opened to be read")
        XCTAssertEqual(diff.media.files.map(\.path), ["empty", "new.txt", "readme.txt"])
        let working = try report("ug", "--working", environment: alice.environment)
        XCTAssertTrue(working.identical, "the working side hashed with the store's key: \(working.tables.tables.filter { $0.status != .unchanged })")
        try harness.assertRefused(["diff", "ug", "--working"], says: "The store file://\(harness.store) is encrypted")
    }

    func testRefusalsAreOneSentenceAndChangeNothing() throws {
        try plainProject()
        let two = try makeTwoSnapshots()
        try dpmOK("profile", "create", "fresh", "--kind", "shared")
        let sides = "PROFILE, PROFILE@SNAPSHOT, PROFILE@TAG or --working"
        try harness.assertRefused(["diff", "nobody", "ug"], says: "There is no profile \"nobody\" (known profiles: clean-db, fresh, ug).")
        try harness.assertRefused(["diff", "ug", "nobody@v1"], says: "There is no profile \"nobody\" (known profiles: clean-db, fresh, ug).")
        try harness.assertRefused(["diff", "ug@20200101T000000Z-abcdef", "ug"],
                                  says: "has no snapshot 20200101T000000Z-abcdef of profile ug (latest: \(two.second.id), \(two.first.id)).")
        try harness.assertRefused(["diff", "ug", "ug@v3"], says: "has no tag v3 of profile ug (did you mean v2?).")
        try harness.assertRefused(["diff", "ug", "ug@1999"], says: "has no snapshot of profile ug whose id begins with 1999")
        try harness.assertRefused(["diff", "ug", "ug@2"], says: "\"2\" is the beginning of 2 snapshots of ug")
        try harness.assertRefused(["diff", "fresh", "ug"], says: "The profile fresh has no snapshot yet; create one with \"dpm upload fresh\".")
        try harness.assertRefused(["diff", "--working", "--working"],
                                  says: "Both sides are --working, which is one database and one media folder; compare it with a snapshot, as in \"dpm diff PROFILE --working\".")
        try harness.assertRefused(["diff", "ug@", "--working"],
                                  says: "\"ug@\" names no snapshot after the @; write ug@SNAPSHOT or ug@TAG, or ug alone for the snapshot its manifest pins.")
        try harness.assertRefused(["diff", "@v2", "ug"], says: "\"@v2\" names no profile before the @; each side is \(sides).")
        try harness.assertRefused(["diff", "ug@a/b", "ug"], says: "\"a/b\" is neither a snapshot id")
        try harness.assertRefused(["diff", "ug"], says: "dpm diff compares two sides, each \(sides), but only one was given (ug).")
        try harness.assertRefused(["diff", "ug", "ug", "ug"], says: "but 3 were given (ug ug ug).")
        try harness.assertRefused(["diff", "ug", "--exit-code"], says: "\"--exit-code\" is not an option of dpm diff; each side is \(sides).")
        try harness.assertRefused(["diff", "clean-db", "ug"], says: "The clean profile clean-db lives in git, not in the store")
        try harness.assertRefused(["diff", "ug", "--working"], environment: ["DPM_DATABASE_URL": "dbname=\(harness.prefix)_absent"],
                                  says: "The working database \(harness.prefix)_absent does not exist, so there is nothing to compare as --working")

        // A record naming its objects by an encrypted store's keyed ids, beside this plaintext store's.
        try dpmOK("profile", "create", "cust", "--kind", "customer")
        var keyed = two.first
        keyed.id = "20260101T000000Z-abcdef"
        keyed.profile = "cust"
        keyed.kind = .customer
        keyed.objectIDs = "hmac-sha256"
        try harness.write(String(decoding: try CanonicalJSON.encode(keyed), as: UTF8.self),
                          to: ".dpm/store/\(StoreLayout.snapshotKey(profile: "cust", id: keyed.id))")
        for arguments in [["diff", "cust@\(keyed.id)", "ug"], ["diff", "ug@v2", "cust@20260101"]] {
            try harness.assertRefused(arguments, says: "by SHA-256 ids (a plaintext store's)")
        }
        try harness.assertRefused(["diff", "cust@\(keyed.id)", "ug"],
                                  says: "Snapshot \(keyed.id) of cust names its objects by hmac-sha256 ids (an encrypted store's) and snapshot \(two.second.id) of ug by SHA-256 ids (a plaintext store's), so their tables and media cannot be compared: they come from two different kinds of store; compare snapshots of one store.")
        // Against the working database, hashed as this plaintext store names objects: the record is not this store's.
        try harness.assertRefused(["diff", "cust@\(keyed.id)", "--working"],
                                  says: "Snapshot \(keyed.id) of cust names its objects by keyed ids, as only an encrypted store does, but the store file://\(harness.store) is not encrypted")

        for arguments in [["help", "diff"], ["diff", "--help"]] {
            let run = harness.dpm(arguments)
            XCTAssertEqual(run.status, 0, run.stderr)
            XCTAssertTrue(run.stdout.contains("USAGE: dpm diff A B"), run.stdout)
        }
    }
}
