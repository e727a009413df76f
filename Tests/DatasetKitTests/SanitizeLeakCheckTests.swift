@testable import DatasetKit
import Foundation
import XCTest

/// The leak check: originals remembered as digests, every stored field compared with them.
final class SanitizeLeakCheckTests: XCTestCase {
    let key = try! SanitizeKey(secret: "test-key-of-sixteen")
    let users = QualifiedTable(schema: "public", table: "users")

    func check(_ data: String, table: QualifiedTable, columns: [String], ruled: Set<String> = [], skipped: Set<String> = [],
               originals: LeakDigests) throws -> LeakCheckingWriter {
        let checker = LeakCheckingWriter(table: table, columns: columns, ruled: ruled, skipped: skipped, originals: originals)
        // Written in pieces of 3 bytes: lines cut across writes are checked whole.
        let bytes = Array(data.utf8)
        for start in stride(from: 0, to: bytes.count, by: 3) {
            try bytes[start..<min(start + 3, bytes.count)].withUnsafeBytes { try checker.write($0) }
        }
        try checker.finish()
        return checker
    }

    /// Sanitizing users remembers its emails and names; a free-text column of another table
    /// that quotes them is caught, once per field, and the rule's own outputs are not.
    func testOriginalsOfSanitizedColumnsAreFoundInOtherFields() throws {
        let shared = Locked(LeakDigests())
        let sanitizer = try TableSanitizer(table: users, columns: ["id", "email", "full_name", "born"],
                                           rules: SanitizeRules(yaml: "columns:\n  public.users.email: email\n  public.users.full_name: name\n  public.users.born: date-shift:5\n", displayName: "p"),
                                           key: key)
        let values = OriginalValues(into: shared, origins: [0, 1, 2, 3])
        sanitizer.originals = values
        let output = DataWriter()
        try sanitizer.sanitize(from: DataReader(Data("1\tAlice.Smith@Corp.com\tAlice Smith\t1990-01-01\n2\t\\N\tBob\t1991-02-02\n\\.\n\n\n".utf8)),
                               to: output)
        try values.flush()
        let originals = shared.current
        XCTAssertEqual(originals.count, 3, "the email as a field and as an address, and the name; not Bob (3 bytes), not the dates")

        let sanitizedUsers = try check(String(decoding: output.data, as: UTF8.self), table: users, columns: sanitizer.columns,
                                       ruled: sanitizer.ruledColumns, originals: originals)
        XCTAssertEqual(sanitizedUsers.hits, [:])
        let skipped = try check("1\tAlice Smith\tmail alice.smith@corp.com\n", table: users, columns: ["id", "title", "body"],
                                skipped: ["title", "body"], originals: originals)
        XCTAssertEqual(skipped.hitsByColumn, ["public.users.body": LeakHit(count: 1, origins: [1])],
                       "leak_check_skip spares whole values, not email addresses")
        XCTAssertEqual(sanitizedUsers.fieldsChecked, 2, "only the id fields, which no rule wrote")

        let notes = QualifiedTable(schema: "public", table: "notes")
        let leaked = try check("1\tcall alice.smith@corp.com today\\nthanks\tx\n2\tAlice Smith\tAlice Smith\n3\tnothing here\t1990-01-01\n\\.\n",
                               table: notes, columns: ["id", "body", "title"], originals: originals)
        XCTAssertEqual(leaked.hitsByColumn, ["public.notes.body": LeakHit(count: 2, origins: [1, 2]), "public.notes.title": LeakHit(count: 1, origins: [2])],
                       "an address inside text (any case), and whole values; shifted dates are not remembered")
    }

    func testEmailTokensAreFoundInsideText() {
        var found: [String] = []
        let text = Array("mail Ann.Lee+x@Mail.Example.COM, or bob@host. not@x or @lone".utf8)
        text.withUnsafeBytes { EmailTokens.forEach(in: $0) { found.append(String(decoding: $0, as: UTF8.self)) } }
        XCTAssertEqual(found, ["ann.lee+x@mail.example.com"])
    }

    func testTheDigestSetStopsAtItsLimitWithASentence() throws {
        var digests = LeakDigests(limit: 2000)
        for value in 1...2000 { try digests.insert(UInt64(value)) }
        XCTAssertTrue(digests.contains(1999))
        XCTAssertFalse(digests.contains(2001))
        XCTAssertThrowsError(try { for value in 2001...5000 { try digests.insert(UInt64(value)) } }()) {
            XCTAssertTrue($0.userMessage.contains("set DPM_SANITIZE_LEAK_CHECK_LIMIT higher"), $0.userMessage)
        }
    }
}
