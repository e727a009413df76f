@testable import DatasetKit
import XCTest

/// What an upload reads from a dump's entries instead of asking a database.
final class ArchiveSourceTests: XCTestCase {
    private func entry(_ desc: String, tag: String = "prod", _ defn: String) -> ArchiveEntry {
        ArchiveEntry(dumpId: 1, tag: tag, desc: desc, section: .preData, defn: defn)
    }

    func testPropertiesOfAnICUDatabaseWithSettingsAndComment() throws {
        let properties = try XCTUnwrap(DatabaseProperties.fromArchive([
            entry("DATABASE", "CREATE DATABASE prod WITH TEMPLATE = template0 ENCODING = 'UTF8' LOCALE_PROVIDER = icu LOCALE = 'en_US.UTF-8' ICU_LOCALE = 'de-DE';\n"),
            entry("DATABASE PROPERTIES", "ALTER DATABASE prod SET search_path TO 'app', 'public';\nALTER DATABASE prod SET work_mem TO '64MB';\n"),
            entry("COMMENT", tag: "DATABASE prod", "COMMENT ON DATABASE prod IS 'the ''real'' one';\n"),
        ]))
        XCTAssertEqual(properties, DatabaseProperties(encoding: "UTF8", localeProvider: .icu, collate: "en_US.UTF-8", ctype: "en_US.UTF-8",
                                                      locale: "de-DE", settings: ["search_path=app, public", "work_mem=64MB"],
                                                      comment: "the 'real' one"))
    }

    func testPropertiesOfALatin1DatabaseWithSeparateCollateAndCtype() throws {
        let properties = try XCTUnwrap(DatabaseProperties.fromArchive([
            entry("DATABASE", #"CREATE DATABASE "Old Shop" WITH TEMPLATE = template0 ENCODING = 'LATIN1' LOCALE_PROVIDER = libc LC_COLLATE = 'C' LC_CTYPE = 'de_DE.ISO-8859-1';"#),
        ]))
        XCTAssertEqual(properties.summary, "LATIN1, collate C, ctype de_DE.ISO-8859-1")
        XCTAssertNil(properties.locale)
        XCTAssertEqual(properties.settings, [])
    }

    func testADumpWithoutADatabaseEntryRecordsNoProperties() {
        XCTAssertNil(DatabaseProperties.fromArchive([entry("ENCODING", tag: "ENCODING", "SET client_encoding = 'UTF8';\n")]))
    }

    func testServerVersionsFromDumpHeaders() {
        XCTAssertEqual(ServerVersion(dumpedText: "15.18 (Debian 15.18-0+deb12u1)").number, 150018)
        XCTAssertEqual(ServerVersion(dumpedText: "9.6.24").number, 90624)
        XCTAssertEqual(ServerVersion(dumpedText: "17devel").number, 170000)
        XCTAssertEqual(ServerVersion(dumpedText: "").number, 0)
    }

    func testMigrationLayoutsReadRowsAsDatabasesAndDumpsGiveThem() throws {
        let golang = try XCTUnwrap(MigrationDetector.layout(table: "schema_migrations", columns: ["version", "dirty"]))
        XCTAssertEqual(golang.versions([["7", "f"], ["8", "t"]]), ["7"])
        XCTAssertEqual(golang.versions([["7", "false"]]), ["7"])
        let rails = try XCTUnwrap(MigrationDetector.layout(table: "schema_migrations", columns: ["version"]))
        XCTAssertEqual(rails.versions([["10"], ["9"], [nil], ["20260101000000"]]), ["9", "10", "20260101000000"])
        let django = try XCTUnwrap(MigrationDetector.layout(table: "django_migrations", columns: ["id", "app", "name", "applied"]))
        XCTAssertEqual(django.versions([["10", "shop", "0002_b"], ["9", "auth", "0001_a"]]), ["auth.0001_a", "shop.0002_b"])
        let flyway = try XCTUnwrap(MigrationDetector.layout(table: "flyway_schema_history", columns: ["installed_rank", "version", "success"]))
        XCTAssertEqual(flyway.versions([["2", "1.1", "t"], ["1", "1", "t"], ["3", "1.2", "f"], ["4", nil, "t"]]), ["1", "1.1"])
    }
}
