@testable import DatasetKit
import Foundation
import XCTest

/// Each rule's output: keyed, deterministic, NULL-preserving, of the right shape.
final class SanitizeAlgorithmTests: XCTestCase {
    static let keyA = try! SanitizeKey(secret: "test-key-of-sixteen")
    static let keyB = try! SanitizeKey(secret: "another-key-of-sixteen")
    let column = QualifiedColumn(parsing: "public.users.x")!

    func apply(_ rule: SanitizeRule, _ value: [UInt8]?, key: SanitizeKey = keyA) throws -> [UInt8]? {
        try KeyedRule(rule: rule, column: column, key: key).apply(to: value)
    }

    func apply(_ rule: SanitizeRule, _ text: String, key: SanitizeKey = keyA) throws -> String {
        String(decoding: try apply(rule, Array(text.utf8), key: key)!, as: UTF8.self)
    }

    static let keyedRules: [SanitizeRule] = [
        .hash, .email, .name, .firstName, .lastName, .phone, .ip, .uuid, .text, .dateShift(days: 30), .intNoise(percent: 10), .mask(keepLast: 2),
    ]

    func testSameKeySameOutputOnEveryRunAndAnotherKeyAnother() throws {
        let inputs: [SanitizeRule: [String]] = [
            .phone: ["+44 20 7946 0958", "555-0100-2233-4455"], .ip: ["192.168.1.20", "2001:db8::1/64"],
            .dateShift(days: 30): ["1990-05-17", "2024-02-29 13:45:00+01"], .intNoise(percent: 10): ["123456", "19.90"],
            .mask(keepLast: 2): ["4111111111111111"],
        ]
        for rule in Self.keyedRules {
            let values = inputs[rule] ?? (0..<20).map { "person \($0) <p\($0)@corp.example>" }
            let first = try values.map { try apply(rule, $0) }
            let again = try values.reversed().map { try apply(rule, $0) }.reversed()
            XCTAssertEqual(first, Array(again), "\(rule)")
            let other = try values.map { try apply(rule, $0, key: Self.keyB) }
            if rule != .mask(keepLast: 2) { XCTAssertNotEqual(first, other, "\(rule)") }
        }
        // Fixed across machines and releases: HMAC-SHA256 under the key derived for the rule.
        XCTAssertEqual(try apply(.hash, "alice@example.org"), "b6a3d53e6b857098ba6da28a196266403b79f6edfc35b04b312524d02e5ac6cc")
        XCTAssertEqual(try apply(.uuid, "alice@example.org"), "0cc3407c-b10e-462b-9b20-c5bc5b84bec0")
    }

    /// The outputs of algorithm version 1: a change here must come with a new
    /// `SanitizeRules.algorithmVersion` (and the examples in `SanitizeRule`'s comments).
    func testOutputsOfAlgorithmVersionOneAreFixed() throws {
        XCTAssertEqual(SanitizeRules.algorithmVersion, 1)
        let cases: [(SanitizeRule, String, String)] = [
            (.hash, "alice@corp.com", "b3b46a73f8fe828c43775ac201386d023c102236232d4d632e31a91c3711b7b8"),
            (.email, "alice@corp.com", "laura.0d21df27491fcbf1@example.com"),
            (.name, "Alice Martin", "Christopher Larsen"), (.firstName, "Alice", "Helen"), (.lastName, "Martin", "King"),
            (.phone, "+33 6 12 34 56 78", "+12 9 30 25 37 31"), (.ip, "192.168.1.20", "10.213.235.158"),
            (.ip, "2001:db8::1", "fd1e:961f:9b:1e89:65c0:1d91:ea60:6a23"), (.ip, "192.168.1.0/24", "10.190.136.0/24"),
            (.uuid, "alice", "72774442-f809-421f-ab6e-f7d3f0672059"), (.text, "12 rue de la Paix\nParis", "tree rain trade l\nschoo"),
            (.dateShift(days: 30), "1990-05-17", "1990-05-14"), (.dateShift(days: 30), "2024-02-29 13:45:00+01", "2024-02-11 13:45:00+01"),
            (.intNoise(percent: 10), "52000", "57060"), (.intNoise(percent: 10), "19.90", "18.12"),
            (.mask(keepLast: 4), "4111111111111111", "************1111"),
        ]
        for (rule, input, output) in cases { XCTAssertEqual(try apply(rule, input), output, "\(rule) of \(input)") }
    }

    func testOneInputGivesOneOutputInEveryColumn() throws {
        let users = KeyedRule(rule: .email, column: QualifiedColumn(parsing: "public.users.email")!, key: Self.keyA)
        let orders = KeyedRule(rule: .email, column: QualifiedColumn(parsing: "shop.orders.customer_email")!, key: Self.keyA)
        XCTAssertEqual(try users.apply(to: Array("a@b.c".utf8)), try orders.apply(to: Array("a@b.c".utf8)))
        XCTAssertNotEqual(try apply(.hash, "a@b.c"), try apply(.email, "a@b.c"))
    }

    func testEmailUUIDAndHashAreUniqueOver100000Inputs() throws {
        for rule in [SanitizeRule.email, .uuid, .hash] {
            let keyed = KeyedRule(rule: rule, column: column, key: Self.keyA)
            var outputs = Set<[UInt8]>()
            for index in 0..<100_000 { outputs.insert(try keyed.apply(to: Array("user\(index)@corp.com".utf8))!) }
            XCTAssertEqual(outputs.count, 100_000, "\(rule)")
        }
    }

    func testNullStaysNullButForValueAndNull() throws {
        for rule in Self.keyedRules + [.keep] { XCTAssertNil(try apply(rule, nil), "\(rule)") }
        XCTAssertEqual(try apply(.value("x"), nil), Array("x".utf8))
        XCTAssertEqual(try apply(.value(""), Array("secret".utf8)), [])
        XCTAssertNil(try apply(.null, Array("secret".utf8)))
        XCTAssertEqual(try apply(.keep, [0xE9, 0x00]), [0xE9, 0x00])
    }

    func testEmailShape() throws {
        for input in ["alice@example.org", "", "ünïcødé@例え.jp", String(repeating: "x", count: 10_000)] {
            let email = try apply(.email, input)
            let parts = email.split(separator: "@")
            XCTAssertEqual(parts.count, 2, email)
            XCTAssertEqual(parts[1], "example.com")
            XCTAssertNotNil(parts[0].range(of: #"^[a-z]+\.[0-9a-f]{16}$"#, options: .regularExpression), email)
        }
    }

    func testUUIDAndHashShape() throws {
        for input in ["", "x", "日本", String(repeating: "y", count: 5000)] {
            let uuid = try apply(.uuid, input)
            XCTAssertNotNil(UUID(uuidString: uuid), uuid)
            XCTAssertEqual(Array(uuid)[14], "4")
            XCTAssertTrue("89ab".contains(Array(uuid)[19]))
            XCTAssertTrue(SHA256Hex.isValid(try apply(.hash, input)))
        }
        XCTAssertTrue(SHA256Hex.isValid(String(decoding: try apply(.hash, [0xE9, 0xFF])!, as: UTF8.self)))
    }

    func testNamesComeFromTheLists() throws {
        for input in ["Zoë Åkesson", "", "李小龍", "O'Brien"] {
            XCTAssertTrue(NameLists.first.contains(try apply(.firstName, input)))
            XCTAssertTrue(NameLists.last.contains(try apply(.lastName, input)))
            let full = try apply(.name, input).split(separator: " ").map(String.init)
            XCTAssertEqual(full.count, 2)
            XCTAssertTrue(NameLists.first.contains(full[0]) && NameLists.last.contains(full[1]))
        }
        XCTAssertGreaterThan(Set(try (0..<50).map { try apply(.name, "n\($0)") }).count, 40)
    }

    func testPhoneKeepsItsShape() throws {
        for input in ["+44 20 7946 0958", "(555) 123-4567", "555.123.4567", "0049/30/123456", "ext. 12", ""] {
            let phone = try apply(.phone, input)
            XCTAssertEqual(phone.count, input.count)
            for (a, b) in zip(input, phone) {
                if a.isASCII && a.isNumber { XCTAssertTrue(b.isASCII && b.isNumber) } else { XCTAssertEqual(a, b) }
            }
        }
        XCTAssertNotEqual(try apply(.phone, "+44 20 7946 0958"), "+44 20 7946 0958")
    }

    func testAddressesAreValidAndPrivate() throws {
        for input in ["192.168.1.20", "8.8.8.8", "garbage", ""] {
            let address = try apply(.ip, input)
            var v4 = in_addr()
            XCTAssertEqual(inet_pton(AF_INET, address, &v4), 1, address)
            XCTAssertTrue(address.hasPrefix("10."))
        }
        for input in ["2001:db8::1", "::ffff:1.2.3.4", "fe80::1%eth0"] {
            let address = try apply(.ip, input)
            var v6 = in6_addr()
            XCTAssertEqual(inet_pton(AF_INET6, address, &v6), 1, address)
            XCTAssertTrue(address.hasPrefix("fd"))
        }
        let network = try apply(.ip, "192.168.1.0/24")
        XCTAssertTrue(network.hasPrefix("10.") && network.hasSuffix(".0/24"), network)
        XCTAssertTrue(try apply(.ip, "10.1.2.3/4").hasPrefix("0.0.0.0/4"))
        let v6Network = try apply(.ip, "2001:db8::/32")
        XCTAssertTrue(v6Network.hasSuffix(":0:0:0:0:0:0/32") && v6Network.hasPrefix("fd"), v6Network)
    }

    func testTextKeepsLengthAndLines() throws {
        let inputs = [
            "", "a", "é", "12 Main Street\nSpringfield\r\nUSA", "日本語のテキスト", String(repeating: "long text ", count: 10_000),
            "\n\n", "x\ny",
        ]
        for input in inputs {
            let text = try apply(.text, input)
            XCTAssertEqual(text.unicodeScalars.count, input.unicodeScalars.count, input.prefix(20).description)
            XCTAssertEqual(text.filter { $0 == "\n" || $0 == "\r\n" }.count, input.filter { $0 == "\n" || $0 == "\r\n" }.count)
            XCTAssertTrue(text.allSatisfy { $0.isLowercase || $0 == " " || $0.isNewline }, text.prefix(40).description)
        }
        XCTAssertEqual(try apply(.text, [0xE9, 0x74, 0xE9])?.count, 3, "a LATIN1 value: one character a byte")
    }

    func testDateShiftStaysAValidDateWithinItsRange() throws {
        var day = CivilDate.days(year: 2024, month: 1, day: 1)
        var shifts = Set<Int>()
        for _ in 0..<366 {
            let input = CivilDate(days: day).isoText
            let output = try apply(.dateShift(days: 30), input)
            let date = try XCTUnwrap(CivilDate(isoPrefixOf: Array(output.utf8)), output)
            XCTAssertLessThanOrEqual(date.day, CivilDate.daysIn(month: date.month, year: date.year))
            let shift = CivilDate.days(year: date.year, month: date.month, day: date.day) - day
            XCTAssertTrue((-30...30).contains(shift) && shift != 0, "\(input) → \(output)")
            shifts.insert(shift)
            day += 1
        }
        XCTAssertGreaterThan(shifts.count, 40)
        let leap = try apply(.dateShift(days: 1), "2024-02-29")
        XCTAssertTrue(["2024-02-28", "2024-03-01"].contains(leap), leap)
        let timestamp = try apply(.dateShift(days: 30), "2024-02-29 13:45:00.123+05:30")
        XCTAssertTrue(timestamp.hasSuffix(" 13:45:00.123+05:30"), timestamp)
        XCTAssertNotNil(CivilDate(isoPrefixOf: Array(timestamp.utf8)))
        XCTAssertEqual(try apply(.dateShift(days: 30), "infinity"), "infinity")
        XCTAssertTrue(try apply(.dateShift(days: 30), "0001-01-01 BC").hasSuffix(" BC"))
        XCTAssertTrue(try apply(.dateShift(days: 30), "0044-03-15 12:00:00 BC").hasSuffix(" 12:00:00 BC"))
        let early = try apply(.dateShift(days: 3), "0001-01-02")
        XCTAssertTrue(early.hasPrefix("0001-01-0") || early.hasPrefix("0001-12-3") && early.hasSuffix(" BC"), early)
        XCTAssertEqual(try apply(.dateShift(days: 30), "12345-06-07").count, 11)
    }

    func testRulesRefuseValuesNotOfTheirTypeWithoutShowingThem() {
        for (rule, value) in [(SanitizeRule.dateShift(days: 3), "17/05/1990 secret"), (.dateShift(days: 3), "2023-02-29"),
                              (.intNoise(percent: 5), "12a secret"), (.intNoise(percent: 5), "12345678901234567890")] {
            XCTAssertThrowsError(try apply(rule, value)) { error in
                let error = error as? DPMError
                XCTAssertEqual(error?.kind, .invalidInput)
                XCTAssertTrue(error?.message.hasPrefix("A value of public.users.x is not") == true, error?.message ?? "")
                XCTAssertFalse(error?.message.contains("secret") == true)
            }
        }
    }

    func testIntNoiseKeepsSignScaleAndRange() throws {
        for index in 1...500 {
            let output = try apply(.intNoise(percent: 10), "\(index * 1000)")
            let number = try XCTUnwrap(Int(output))
            XCTAssertTrue((index * 900...index * 1100).contains(number), "\(index * 1000) → \(output)")
        }
        XCTAssertTrue(try XCTUnwrap(Int(try apply(.intNoise(percent: 50), "-7"))) < 0)
        XCTAssertEqual(try apply(.intNoise(percent: 50), "0"), "0")
        XCTAssertTrue(try XCTUnwrap(Int(try apply(.intNoise(percent: 100), "1"))) >= 1)
        XCTAssertLessThanOrEqual(try XCTUnwrap(Int(try apply(.intNoise(percent: 100), "32767"))), 32767)
        XCTAssertLessThanOrEqual(try XCTUnwrap(Int(try apply(.intNoise(percent: 100), "2147483647"))), 2_147_483_647)
        XCTAssertNotNil(Int(try apply(.intNoise(percent: 100), "9223372036854775807")))
        XCTAssertNotNil(Int(try apply(.intNoise(percent: 100), "-9223372036854775808")))
        for input in ["19.90", "-0.05", "123456.789", "0.00"] {
            let output = try apply(.intNoise(percent: 20), input)
            XCTAssertEqual(output.split(separator: ".").last?.count, input.split(separator: ".").last?.count, output)
            XCTAssertEqual(output.hasPrefix("-"), input.hasPrefix("-"))
            XCTAssertLessThanOrEqual(output.filter(\.isNumber).drop { $0 == "0" }.count, max(input.filter(\.isNumber).drop { $0 == "0" }.count, 1))
        }
        let float = try XCTUnwrap(Double(try apply(.intNoise(percent: 10), "1.5e+20")))
        XCTAssertTrue((1.35e20...1.65e20).contains(float))
        XCTAssertEqual(try apply(.intNoise(percent: 10), "NaN"), "NaN")
    }

    func testMaskKeepsTheLastCharacters() throws {
        XCTAssertEqual(try apply(.mask(keepLast: 4), "4111111111111111"), "************1111")
        XCTAssertEqual(try apply(.mask(keepLast: 2), "日本語テキスト"), "*****スト")
        XCTAssertEqual(try apply(.mask(keepLast: 1), "👩‍👩‍👧e\u{301}"), "*e\u{301}")
        XCTAssertEqual(try apply(.mask(keepLast: 10), "abc"), "abc")
        XCTAssertEqual(try apply(.mask(keepLast: 0), "abc"), "***")
        XCTAssertEqual(try apply(.mask(keepLast: 1), [0xE9, 0x61, 0x62]), Array("**b".utf8))
    }
}
