@testable import DatasetKit
import Foundation
import XCTest
import Yams

/// Rules checked against a catalog: existence, type fit, partitions, truncation, and the
/// columns that look personal without a rule.
final class SanitizePlanTests: XCTestCase {
    let key = try! SanitizeKey(secret: "test-key-of-sixteen")
    let users = QualifiedTable(schema: "public", table: "users")
    let events = QualifiedTable(schema: "public", table: "events")
    let events2024 = QualifiedTable(schema: "public", table: "events_2024")
    let sessions = QualifiedTable(schema: "public", table: "sessions")

    var catalog: TableColumns {
        func columns(_ pairs: [(String, String)]) -> [TableColumns.Column] { pairs.map { TableColumns.Column(name: $0.0, type: $0.1) } }
        return TableColumns(columns: [
            users: columns([("id", "integer"), ("email", "text"), ("code", "character varying(10)"), ("mobile_phone", "text"),
                            ("phone_verified", "boolean"), ("birthDate", "date"), ("lat", "double precision")]),
            events: columns([("id", "bigint"), ("email", "text")]),
            events2024: columns([("email", "text"), ("id", "bigint")]),
            sessions: columns([("id", "integer"), ("token", "text")]),
        ], ancestors: [events2024: [events]])
    }

    func plan(_ yaml: String) throws -> SanitizePlan {
        try SanitizePlan(rules: SanitizeRules(yaml: yaml, displayName: "p"), key: key, catalog: catalog, database: "app")
    }

    func testRulesMustNameExistingTablesAndColumnsAndFitTheirTypes() {
        XCTAssertThrowsError(try plan("columns:\n  public.nosuch.email: email\n")) {
            XCTAssertEqual($0.userMessage, "The sanitize rules name public.nosuch.email, but database app has no table public.nosuch.")
        }
        XCTAssertThrowsError(try plan("truncate: [public.gone]\n")) {
            XCTAssertEqual($0.userMessage, "The sanitize rules name public.gone in sanitize.truncate, but database app has no table public.gone.")
        }
        XCTAssertThrowsError(try plan("columns:\n  public.users.mail: email\n")) {
            XCTAssertTrue($0.userMessage.contains("public.users.mail, which is not a column of public.users"), $0.userMessage)
        }
        XCTAssertThrowsError(try plan("columns:\n  public.users.id: email\n")) {
            XCTAssertTrue($0.userMessage.contains("\"email\" for public.users.id cannot fit its type integer"), $0.userMessage)
        }
        XCTAssertThrowsError(try plan("columns:\n  public.users.code: hash\n")) {
            XCTAssertTrue($0.userMessage.contains("writes up to 64 characters, more than its type character varying(10) holds"), $0.userMessage)
        }
        XCTAssertNoThrow(try plan("columns:\n  public.users.code: mask:2\n  public.users.birthDate: date-shift:10\n"))
    }

    /// A rule on a partitioned table applies to each partition, whatever its column order;
    /// truncating it truncates its partitions, which pg_dump is told by exact, quoted names.
    func testPartitionsTakeTheRulesOfTheirPartitionedTable() throws {
        let plan = try plan("columns:\n  public.events.email: email\ntruncate: [public.sessions]\n")
        let sanitizer = try XCTUnwrap(plan.sanitizer(for: events2024))
        XCTAssertEqual(sanitizer.columns, ["email", "id"])
        let output = try sanitizer.sanitize(line: Array("ann@corp.com\t7".utf8))
        XCTAssertTrue(String(decoding: output, as: UTF8.self).hasSuffix("@example.com\t7"))
        XCTAssertNil(try plan.sanitizer(for: users), "no rule changes users")
        XCTAssertEqual(plan.excludedData, ["\"public\".\"sessions\""])
        XCTAssertEqual(try self.plan("truncate: [public.events]\n").excludedData, ["\"public\".\"events\"", "\"public\".\"events_2024\""])
    }

    func testUnclassifiedColumnsAreNamedWithARuleThatFits() throws {
        let plan = try plan("columns:\n  public.users.email: email\n")
        let found = plan.unclassified(in: [users, events2024, sessions])
        XCTAssertEqual(found.map(\.column), ["public.events.email", "public.sessions.token", "public.users.birthDate",
                                             "public.users.lat", "public.users.mobile_phone"],
                       "booleans are left out; a partition's column is reported as its partitioned table's")
        XCTAssertEqual(found.map(\.suggestion), ["email", "hash", "date-shift:30", "int-noise:1", "phone"])
        XCTAssertThrowsError(try plan.requireClassified([users], profile: ProfileName("ug"))) {
            XCTAssertEqual($0.userMessage, """
                profiles/ug/profile.yaml leaves 3 columns that look personal without a sanitize rule: public.users.birthDate (like "birth"), public.users.lat (like "lat"), public.users.mobile_phone (like "phone"); give each a rule under sanitize.columns (keep if it is not personal), or run dpm sanitize check ug for suggestions.
                """)
        }
        XCTAssertTrue(try self.plan("truncate: [public.sessions]\n").unclassified(in: [sessions]).isEmpty, "a truncated table keeps no values")
        let yaml = UnclassifiedColumn.yamlSuggestions(found)
        let section = try XCTUnwrap(try Yams.compose(yaml: yaml)?.mapping?["sanitize"])
        let pasted = try SanitizeRules(node: section, displayName: "pasted")
        XCTAssertEqual(pasted.columns.count, 5, "the suggestions parse as rules")
    }

    func testSensitiveNamesMatchWordsNotLetters() {
        let names = SensitiveNames()
        XCTAssertEqual(names.match("last_login_ip"), "ip")
        XCTAssertEqual(names.match("lastLoginIP"), "ip")
        XCTAssertEqual(names.match("username"), "name")
        XCTAssertEqual(names.match("emails"), "email")
        XCTAssertEqual(names.match("stripe_api_key"), "api_key")
        XCTAssertNil(names.match("description"), "ip inside a word is not the word ip")
        XCTAssertNil(names.match("shipping_fee"))
        XCTAssertNil(names.match("api"))
        XCTAssertEqual(SensitiveNames(patterns: ["iban"]).match("user_iban"), "iban")
        XCTAssertNil(SensitiveNames(patterns: ["iban"]).match("email"))
    }

    func testTableFiltersSelectLikePgDump() {
        let filters = TableFilters(include: [], exclude: ["audit_*"], excludeData: ["public.\"Big\""])
        XCTAssertTrue(filters.storesRows(of: users))
        XCTAssertFalse(filters.storesRows(of: QualifiedTable(schema: "app", table: "audit_log")))
        XCTAssertFalse(filters.storesRows(of: QualifiedTable(schema: "public", table: "Big")))
        XCTAssertTrue(filters.storesRows(of: QualifiedTable(schema: "public", table: "big")))
        XCTAssertFalse(TableFilters(include: ["Orders"]).storesRows(of: users))
        XCTAssertTrue(TableFilters(include: ["public.us?rs"]).storesRows(of: users))
    }
}
