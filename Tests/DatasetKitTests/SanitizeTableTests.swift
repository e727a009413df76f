@testable import DatasetKit
import Foundation
import XCTest

/// A table's COPY data through the rules, line by line and as a stream.
final class SanitizeTableTests: XCTestCase {
    let key = try! SanitizeKey(secret: "test-key-of-sixteen")
    let users = QualifiedTable(schema: "public", table: "users")

    func rules(_ yaml: String) throws -> SanitizeRules { try SanitizeRules(yaml: yaml, displayName: "p") }

    func usersSanitizer(key: SanitizeKey? = nil) throws -> TableSanitizer {
        let rules = try rules("""
            columns:
              public.users.email: email
              public.users.notes: "null"
              public.users.country: keep
              public.users.full_name: name
            """)
        return try TableSanitizer(header: CopyHeader(parsing: "COPY public.users (id, email, full_name, notes, country, blob) FROM stdin;")!,
                                  rules: rules, key: key ?? self.key)
    }

    func testRuleFieldsChangeAndOthersStayByteForByte() throws {
        let sanitizer = try usersSanitizer()
        let blob: [UInt8] = [0xE9, 0x5C, 0x78, 0x34, 0x31, 0x5C, 0x5C, 0xFF, 0x5C, 0x74]  // LATIN1 é, \x41, \\, ÿ, \t: kept as written
        let line = Array("42\tal\\tice@corp.com\tAlice Smith\tcalls at 9\tFR\t".utf8) + blob
        let output = try sanitizer.sanitize(line: line)
        let fields = CopyText.fields(of: output)
        XCTAssertEqual(fields.count, 6)
        XCTAssertEqual(Array(fields[0]), Array("42".utf8))
        XCTAssertTrue(String(decoding: fields[1], as: UTF8.self).hasSuffix("@example.com"))
        XCTAssertEqual(Array(fields[3]), CopyText.null)
        XCTAssertEqual(Array(fields[4]), Array("FR".utf8))
        XCTAssertEqual(Array(fields[5]), blob)
        XCTAssertEqual(try usersSanitizer().sanitize(line: line), output, "the same key gives the same bytes")
        XCTAssertNotEqual(try usersSanitizer(key: SanitizeKey(secret: "another-key-of-sixteen")).sanitize(line: line), output)
        let nulls = try sanitizer.sanitize(line: Array("1\t\\N\t\\N\t\\N\t\\N\t\\N".utf8))
        XCTAssertEqual(nulls, Array("1\t\\N\t\\N\t\\N\t\\N\t\\N".utf8))
        XCTAssertTrue(sanitizer.changesData)
    }

    func testEndOfDataAndWhatFollowsPassThrough() throws {
        let sanitizer = try usersSanitizer()
        XCTAssertEqual(try sanitizer.sanitize(line: CopyText.endOfData), CopyText.endOfData)
        XCTAssertEqual(try sanitizer.sanitize(line: Array("not\ta\trow".utf8)), Array("not\ta\trow".utf8))
    }

    func testTruncatedTablesKeepNoRows() throws {
        let sessions = try TableSanitizer(table: QualifiedTable(schema: "public", table: "sessions"), columns: ["id", "token"],
                                          rules: rules("truncate: [public.sessions]"), key: key)
        let input = Data("1\tabc\n2\tdef\n\\.\n\n".utf8)
        let output = DataWriter()
        XCTAssertEqual(try sessions.sanitize(from: DataReader(input), to: output), 4)
        XCTAssertEqual(output.data, Data("\\.\n\n".utf8))
        XCTAssertTrue(sessions.changesData)
    }

    func testTablesWithoutRulesChangeNothing() throws {
        let sanitizer = try TableSanitizer(table: users, columns: ["id"], rules: rules("columns:\n  public.users.id: keep\n"), key: key)
        XCTAssertFalse(sanitizer.changesData)
        XCTAssertEqual(try sanitizer.sanitize(line: Array("\\x41".utf8)), Array("\\x41".utf8))
        let noColumns = try TableSanitizer(table: users, columns: [], rules: rules("columns:\n  public.other.x: hash\n"), key: key)
        XCTAssertEqual(try noColumns.sanitize(line: []), [])
    }

    func testRulesOnMissingColumnsAndBadLinesAreRefused() throws {
        XCTAssertThrowsError(try TableSanitizer(table: users, columns: ["id", "email"],
                                                rules: rules("columns:\n  public.users.emial: email\n  public.users.phone: phone\n"), key: key)) {
            XCTAssertEqual($0 as? DPMError, .invalidInput(
                "The sanitize rules name public.users.emial, public.users.phone, which are not columns of public.users (its columns: id, email)."
            ))
        }
        let sanitizer = try usersSanitizer()
        for line in ["1\ta@b", "1\t2\t3\t4\t5\t6\t7"] {
            XCTAssertThrowsError(try sanitizer.sanitize(line: Array(line.utf8))) { XCTAssertEqual(($0 as? DPMError)?.kind, .corrupt) }
        }
    }

    /// Reads a stream a few bytes at a time, so that lines split across reads.
    final class TrickleReader: ByteReader {
        let data: [UInt8]
        var offset = 0
        let step: Int
        init(_ data: [UInt8], step: Int) { self.data = data; self.step = step }
        func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
            let count = min(step, buffer.count, data.count - offset)
            guard count > 0 else { return 0 }
            buffer.copyBytes(from: data[offset..<(offset + count)])
            offset += count
            return count
        }
    }

    func rows(_ count: Int) -> [UInt8] {
        var data: [UInt8] = []
        for index in 0..<count {
            data += Array("\(index)\tuser\(index)@corp.com\tUser Number \(index)\tnote \(index)\\nsecond line\tDE\t\\\\x\(index % 7)\n".utf8)
        }
        return data + Array("\\.\n".utf8)
    }

    func testStreamingEqualsLineByLineWhateverTheChunks() throws {
        let input = rows(300)
        var expected: [UInt8] = []
        let sanitizer = try usersSanitizer()
        for line in input.split(separator: CopyText.newline, omittingEmptySubsequences: false).dropLast() {
            expected += try sanitizer.sanitize(line: Array(line)) + [CopyText.newline]
        }
        for step in [1, 7, 64, 1 << 20] {
            let output = DataWriter()
            XCTAssertEqual(try usersSanitizer().sanitize(from: TrickleReader(input, step: step), to: output), 301)
            XCTAssertEqual(Array(output.data), expected, "chunks of \(step)")
        }
        let noNewline = DataWriter()
        try usersSanitizer().sanitize(from: DataReader(Data("1\ta@b.c\tA B\tn\tFR\tz".utf8)), to: noNewline)
        XCTAssertFalse(noNewline.data.contains(CopyText.newline))
    }

    func testAHugeLineStreamsThrough() throws {
        let huge = Array(repeating: UInt8(ascii: "q"), count: 5 << 20)
        let input = Array("1\ta@b.c\tA B\tn\tFR\t".utf8) + huge + [CopyText.newline]
        let output = DataWriter()
        try usersSanitizer().sanitize(from: TrickleReader(input, step: 1 << 20), to: output)
        XCTAssertEqual(Array(output.data), try usersSanitizer().sanitize(line: Array(input.dropLast())) + [CopyText.newline])
        XCTAssertTrue(output.data.dropLast().suffix(1000).allSatisfy { $0 == UInt8(ascii: "q") })
    }

    /// 50 000 rows with rules on four text columns: memory stays one line, and the rows per
    /// second are printed (a debug build's; no assertion on time).
    func testFiftyThousandRowsStreamWithBoundedMemory() throws {
        let rules = try rules("""
            columns:
              public.users.email: email
              public.users.full_name: name
              public.users.notes: text
              public.users.blob: phone
            """)
        let sanitizer = try TableSanitizer(header: CopyHeader(parsing: "COPY public.users (id, email, full_name, notes, country, blob) FROM stdin;")!,
                                           rules: rules, key: key)
        let input = rows(50_000)
        let counter = HashingWriter()
        let sanitizing = SanitizingWriter(sanitizer, forwardingTo: counter)
        let start = Date()
        try DataReader(Data(input)).pump(into: sanitizing)
        try sanitizing.finish()
        let seconds = Date().timeIntervalSince(start)
        XCTAssertEqual(sanitizing.lineCount, 50_001)
        let longest = input.split(separator: CopyText.newline).map(\.count).max() ?? 0
        XCTAssertLessThanOrEqual(sanitizing.peakPendingBytes, longest)
        print("sanitize stream: 50000 rows, 4 rule columns, \(Int(50_000 / seconds)) rows/s (\(counter.byteCount) bytes out)")
    }
}
