import DatasetKit
import Foundation
import XCTest

/// A restored database is the source's kind of database: its encoding, collation (libc or
/// ICU), settings and comment come back, through restore, use and attach.
final class DatabasePropertiesTests: XCTestCase {
    private var harness: Harness!

    override func setUpWithError() throws { harness = try Harness() }
    override func tearDown() { harness?.tearDown() }

    private static let words = ["a", "ä", "B", "s", "ß", "z", "Z"]

    private func properties(of database: String) throws -> String {
        try harness.psql("""
            SELECT pg_encoding_to_char(encoding) || ' ' || datlocprovider::text || ' ' || datcollate || ' ' || coalesce(daticulocale, '-')
            FROM pg_database WHERE datname = '\(database)'
            """, in: "postgres")
    }

    private func sorted(in database: String) throws -> String {
        try harness.psql("SELECT string_agg(word, ' ' ORDER BY word) FROM words", in: database)
    }

    private func upload(_ profile: String, from source: String) throws -> Snapshot {
        XCTAssertEqual(harness.dpm("profile", "create", profile, "--kind", "shared").status, 0)
        let upload = harness.dpm("upload", profile, "--from", "dbname=\(source)")
        XCTAssertEqual(upload.status, 0, upload.stderr)
        return try CanonicalJSON.decode(Snapshot.self, from: XCTUnwrap(harness.read("profiles/\(profile)/manifest.json")), what: "manifest")
    }

    func testICUCollationSettingsAndCommentComeBackThroughRestoreUseAndAttach() throws {
        let source = harness.prefix + "_icu"
        try harness.psql("CREATE DATABASE \"\(source)\" TEMPLATE template0 LOCALE_PROVIDER icu ICU_LOCALE 'de-DE'", in: "postgres")
        try harness.psql("""
            CREATE SCHEMA app; CREATE TABLE words (word text);
            INSERT INTO words VALUES \(Self.words.shuffled().map { "('\($0)')" }.joined(separator: ", "));
            ALTER DATABASE "\(source)" SET search_path = app, public; ALTER DATABASE "\(source)" SET work_mem = '8MB';
            COMMENT ON DATABASE "\(source)" IS 'orders of the German shop';
            """, in: source)
        XCTAssertEqual(try sorted(in: source), "a ä B s ß z Z", "ICU de-DE sorts case- and accent-aware")
        let snapshot = try upload("shop", from: source)
        XCTAssertEqual(snapshot.source.properties, DatabaseProperties(
            encoding: "UTF8", localeProvider: .icu, collate: "C.UTF-8", ctype: "C.UTF-8", locale: "de-DE",
            settings: ["search_path=app, public", "work_mem=8MB"], comment: "orders of the German shop"))

        let copy = harness.prefix + "_copy"
        let restore = harness.dpm("restore", "shop", "--into", copy)
        XCTAssertEqual(restore.status, 0, restore.stderr)
        XCTAssertEqual(restore.stderr, "", "no fallback note")
        XCTAssertEqual(try properties(of: copy), "UTF8 i C.UTF-8 de-DE")
        XCTAssertEqual(try sorted(in: copy), "a ä B s ß z Z")
        XCTAssertEqual(try harness.psql("SHOW search_path", in: copy), "app, public")
        XCTAssertEqual(try harness.psql("SHOW work_mem", in: copy), "8MB")
        XCTAssertEqual(try harness.psql("SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = '\(copy)'", in: "postgres"),
                       "orders of the German shop")

        // use and attach clone a template: the clone keeps the collation and gets the settings too.
        XCTAssertEqual(harness.dpm("use", "shop").status, 0)
        XCTAssertEqual(try properties(of: harness.database), "UTF8 i C.UTF-8 de-DE")
        XCTAssertEqual(try sorted(in: harness.database), "a ä B s ß z Z")
        XCTAssertEqual(try harness.psql("SHOW search_path"), "app, public")
        let attach = harness.dpm("attach", "shop", "--json")
        XCTAssertEqual(attach.status, 0, attach.stderr)
        let attached = try JSONDecoder().decode(AttachedInfo.self, from: Data(attach.stdout.utf8)).database
        XCTAssertEqual(try sorted(in: attached), "a ä B s ß z Z")
        XCTAssertEqual(try harness.psql("SHOW work_mem", in: attached), "8MB")

        let show = harness.dpm("profile", "show", "shop")
        XCTAssertTrue(show.stdout.contains("Database:     UTF8, ICU de-DE; settings: search_path=app, public, work_mem=8MB"), show.stdout)
        let status = harness.dpm("status")
        XCTAssertTrue(status.stdout.contains(", UTF8, ICU de-DE)"), status.stdout)
    }

    func testLatin1DatabaseKeepsItsEncodingAndText() throws {
        let source = harness.prefix + "_latin1"
        try harness.psql("CREATE DATABASE \"\(source)\" TEMPLATE template0 ENCODING 'LATIN1' LC_COLLATE 'C' LC_CTYPE 'C'", in: "postgres")
        try harness.psql("CREATE TABLE words (word text); INSERT INTO words VALUES ('café'), ('Müller'), ('Straße'), ('naïve');", in: source)
        let bytes = "SELECT string_agg(encode(convert_to(word, 'LATIN1'), 'hex'), ',' ORDER BY word) FROM words"
        let expected = try harness.psql(bytes, in: source)
        _ = try upload("latin", from: source)
        let copy = harness.prefix + "_copy"
        let restore = harness.dpm("restore", "latin", "--into", copy)
        XCTAssertEqual(restore.status, 0, restore.stderr)
        XCTAssertEqual(try properties(of: copy), "LATIN1 c C -")
        XCTAssertEqual(try harness.psql(bytes, in: copy), expected)
        XCTAssertEqual(harness.dpm("use", "latin").status, 0)
        XCTAssertEqual(try properties(of: harness.database), "LATIN1 c C -")
        XCTAssertEqual(try harness.psql(bytes), expected)
    }

    /// A collation the server lacks: the restore still happens, keeps the encoding, and says
    /// in one sentence what it used instead.
    func testALocaleTheServerLacksIsNamedAndReplaced() throws {
        let source = harness.prefix + "_latin1"
        try harness.psql("CREATE DATABASE \"\(source)\" TEMPLATE template0 ENCODING 'LATIN1' LC_COLLATE 'C' LC_CTYPE 'C'", in: "postgres")
        try harness.psql("CREATE TABLE words (word text); INSERT INTO words VALUES ('Straße');", in: source)
        var snapshot = try upload("latin", from: source)
        snapshot.source.properties?.collate = "de_DE.ISO-8859-1"
        snapshot.source.properties?.ctype = "de_DE.ISO-8859-1"
        let record = try CanonicalJSON.encode(snapshot)
        try record.write(to: URL(fileURLWithPath: "\(harness.store)/\(StoreLayout.snapshotKey(profile: "latin", id: snapshot.id))"))
        try record.write(to: URL(fileURLWithPath: "\(harness.root)/profiles/latin/manifest.json"))

        let copy = harness.prefix + "_copy"
        let restore = harness.dpm("restore", "latin", "--into", copy)
        XCTAssertEqual(restore.status, 0, restore.stderr)
        XCTAssertEqual(restore.stderr, "This server cannot create a database with the source's collation LATIN1, de_DE.ISO-8859-1 (invalid locale name: \"de_DE.ISO-8859-1\"); \(copy) uses LATIN1, C instead, so text sorts bytewise rather than as in the source.\n")
        XCTAssertEqual(try properties(of: copy), "LATIN1 c C -")
        XCTAssertEqual(try harness.psql("SELECT word FROM words", in: copy), "Straße")
    }
}
