@testable import DatasetKit
import Foundation
import XCTest

/// `json:` path rules inside json and jsonb values.
final class SanitizeJSONTests: XCTestCase {
    let key = try! SanitizeKey(secret: "test-key-of-sixteen")
    let column = QualifiedColumn(parsing: "public.events.payload")!

    func rule(_ yaml: String) throws -> SanitizeRule {
        let paths = yaml.split(separator: "\n").map { "      " + $0.trimmingCharacters(in: .whitespaces) }.joined(separator: "\n")
        let rules = try SanitizeRules(yaml: "columns:\n  public.events.payload:\n    json:\n" + paths + "\n", displayName: "p")
        return try XCTUnwrap(rules.columns[column])
    }

    func apply(_ rule: SanitizeRule, _ json: String) throws -> String? {
        try KeyedRule(rule: rule, column: column, key: key).apply(to: Array(json.utf8)).map { String(decoding: $0, as: UTF8.self) }
    }

    func testOnlyTheNamedPathsChangeAndEverythingElseStaysByteForByte() throws {
        let rule = try rule("""
              customer.email: email
              customer.phone: "null"
              contacts.*.name: name
              amount: int-noise:10
              customer.id: hash
              note: text
            """)
        let input = #"{"customer": {"email": "Ann@Corp.com", "phone": "+1 555", "id": 42, "vip": true},"#
            + #" "contacts":[{"name":"Bob \"B\" Lee","x":1.50},{"name":null}], "amount": 120, "note": "line\nbreak é", "keep": [1, 2]}"#
        let output = try XCTUnwrap(try apply(rule, input))
        let email = String(decoding: try KeyedRule(rule: .email, column: column, key: key).apply(to: Array("Ann@Corp.com".utf8))!, as: UTF8.self)
        XCTAssertTrue(output.hasPrefix(#"{"customer": {"email": ""# + email + #"", "phone": null, "id": ""#), output)
        XCTAssertTrue(output.contains(#""vip": true},"#), "what no path names is copied as it was")
        XCTAssertTrue(output.contains(#","x":1.50},{"name":null}]"#), "a JSON null stays null")
        XCTAssertFalse(output.contains("Bob"))
        XCTAssertTrue(output.hasSuffix(#", "keep": [1, 2]}"#))
        let parsed = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(output.utf8)) as? [String: Any])
        XCTAssertNotEqual(parsed["amount"] as? Int, 120)
        XCTAssertNotNil(parsed["amount"] as? Int, "int-noise keeps a number a number")
        XCTAssertEqual((parsed["note"] as? String)?.count, "line\nbreak é".count, "text keeps the length and the line break")
        XCTAssertEqual(try apply(rule, input), output, "deterministic")
    }

    func testWholeObjectsGoOnlyByNullOrValueAndBadJSONIsRefused() throws {
        XCTAssertEqual(try apply(try rule("    customer: \"null\"\n"), #"{"customer": {"email": "a@b.c"}, "n": 1}"#), #"{"customer": null, "n": 1}"#)
        XCTAssertEqual(try apply(try rule("    customer: value:gone\n"), #"{"customer": [1]}"#), #"{"customer": "gone"}"#)
        XCTAssertEqual(try apply(try rule("    customer: text\n"), #"{"customer": {"a": 1}}"#), #"{"customer": {"a": 1}}"#)
        XCTAssertThrowsError(try apply(try rule("    a: email\n"), #"{"a": "x"#)) {
            XCTAssertTrue($0.userMessage.contains("A value of public.events.payload is not valid JSON"), $0.userMessage)
        }
        XCTAssertThrowsError(try rule("    a: keep\n")) { XCTAssertTrue($0.userMessage.contains("cannot be keep"), $0.userMessage) }
        XCTAssertThrowsError(try rule("    a..b: email\n")) { XCTAssertTrue($0.userMessage.contains("is not a path"), $0.userMessage) }
        XCTAssertThrowsError(try rule("a: email").checkFits(column, type: "integer"))
        XCTAssertNoThrow(try rule("    a: email\n").checkFits(column, type: "jsonb"))
        XCTAssertEqual(try rule("    b: email\n    a: hash\n").description, "json{a=hash,b=email}", "the digest does not depend on the order in the file")
    }
}
