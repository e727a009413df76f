import DatasetKit
import XCTest

/// The COPY text codec and pg_dump's COPY header line.
final class SanitizeCopyTextTests: XCTestCase {
    func testDecodesEveryEscape() {
        let field = Array(#"a\\b\tc\nd\re\bf\fg\vh\101\x41\x4\xz\q"#.utf8)
        XCTAssertEqual(CopyText.decode(field), Array("a\\b\tc\nd\re\u{08}f\u{0C}g\u{0B}hAA\u{04}xzq".utf8))
        XCTAssertNil(CopyText.decode(Array(#"\N"#.utf8)))
        XCTAssertEqual(CopyText.decode(Array(#"\\N"#.utf8)), Array(#"\N"#.utf8))
        XCTAssertEqual(CopyText.decode([UInt8]()), [])
        XCTAssertEqual(CopyText.decode(Array(#"\377\0"#.utf8)), [0xFF, 0x00])
    }

    func testEncodesAsPostgreSQLDoes() {
        XCTAssertEqual(CopyText.encode(Array("a\tb\nc\\d\r\u{08}\u{0C}\u{0B}é".utf8)), Array(#"a\tb\nc\\d\r\b\f\vé"#.utf8))
        XCTAssertEqual(CopyText.encode(nil), Array(#"\N"#.utf8))
        XCTAssertEqual(CopyText.encode(Array(#"\N"#.utf8)), Array(#"\\N"#.utf8))
    }

    func testRoundTripOfTrickyValues() {
        let values: [[UInt8]?] = [
            Array("tab\there".utf8), Array("line\nbreak\r\n".utf8), Array("back\\slash\\".utf8), Array("ünïcødé 日本 🙂".utf8),
            [0xE9, 0x74, 0xE9, 0x5C, 0xFF], nil, [], Array(#"\N"#.utf8), Array(repeating: 0x5C, count: 1000),
            Array(0...255).map(UInt8.init),
        ]
        let line = CopyText.line(values)
        let fields = CopyText.fields(of: line)
        XCTAssertEqual(fields.count, values.count)
        XCTAssertEqual(fields.map { CopyText.decode($0) }, values)
        XCTAssertFalse(line.contains(CopyText.newline))
    }

    func testHeaderWithPlainAndQuotedNames() {
        XCTAssertEqual(CopyHeader(parsing: "COPY public.users (id, email, full_name) FROM stdin;\n"),
                       CopyHeader(table: QualifiedTable(schema: "public", table: "users"), columns: ["id", "email", "full_name"]))
        XCTAssertEqual(
            CopyHeader(parsing: #"COPY "My Schema"."odd.table" ("Full Name", "we""ird", "a,b", "(x)", ü) FROM stdin;"#),
            CopyHeader(table: QualifiedTable(schema: "My Schema", table: "odd.table"), columns: ["Full Name", "we\"ird", "a,b", "(x)", "ü"])
        )
        XCTAssertEqual(CopyHeader(parsing: "COPY public.empty  FROM stdin;"),
                       CopyHeader(table: QualifiedTable(schema: "public", table: "empty"), columns: []))
        for bad in ["COPY users (id) FROM stdin;", "COPY public.users (id FROM stdin;", "COPY public.users (id) TO stdout;",
                    #"COPY public."users (id) FROM stdin;"#, "SELECT 1;", "COPY public.users (id) FROM stdin; extra"] {
            XCTAssertNil(CopyHeader(parsing: bad), bad)
        }
    }
}
