@testable import DatasetKit
import Foundation
import XCTest

/// Identity files as age-keygen writes them, and `dpm key generate`'s file: 0600 in a 0700
/// folder, never overwritten.
final class IdentityFileTests: XCTestCase {
    private var folder = ""

    override func setUpWithError() throws {
        folder = NSTemporaryDirectory() + "dpm-identity-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    }

    override func tearDown() { try? FileManager.default.removeItem(atPath: folder) }

    private func mode(_ path: String) -> mode_t {
        var info = stat()
        XCTAssertEqual(lstat(path, &info), 0, path)
        return info.st_mode & 0o7777
    }

    func testGenerateWritesAnAgeKeygenStyleFileOwnerOnly() throws {
        let saved = umask(0)
        defer { umask(saved) }
        let path = "\(folder)/config/dpm/identity.txt"
        let created = Date(timeIntervalSince1970: 1_780_000_000)
        let identity = try IdentityFile.generate(path: path, now: created)
        XCTAssertEqual(mode(path), 0o600)
        XCTAssertEqual(mode("\(folder)/config/dpm"), 0o700)
        let text = try String(contentsOfFile: path, encoding: .utf8)
        XCTAssertEqual(text, "# created: 2026-05-28T20:26:40Z\n# public key: \(identity.recipient)\n\(identity.secretText)\n")
        XCTAssertEqual(try IdentityFile.load(path: path).map(\.recipient), [identity.recipient])
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: "\(folder)/config/dpm"), ["identity.txt"], "no temporary file left")
    }

    func testGenerateNeverOverwrites() throws {
        let path = "\(folder)/identity.txt"
        try Data("mine".utf8).write(to: URL(fileURLWithPath: path))
        XCTAssertThrowsError(try IdentityFile.generate(path: path)) { error in
            XCTAssertEqual((error as? DPMError)?.kind, .conflict)
            XCTAssertEqual((error as? DPMError)?.message,
                           "There is already an identity file at \(path), and dpm never overwrites one (it may be the only copy of a key that opens a store); to use another file, set DPM_IDENTITY_FILE.")
        }
        XCTAssertEqual(try String(contentsOfFile: path, encoding: .utf8), "mine")
    }

    func testSeveralKeysCommentsAndBlankLines() throws {
        let first = AgeIdentity.generate(), second = AgeIdentity.generate()
        let text = "# created: x\n# public key: \(first.recipient)\n\(first.secretText)\n\n   \n# another\n  \(second.secretText)  \r\n"
        XCTAssertEqual(try IdentityFile.parse(Data(text.utf8), name: "f").map(\.recipient), [first.recipient, second.recipient])
    }

    func testProblemsNameTheFileAndLineButNeverTheKey() {
        let identity = AgeIdentity.generate()
        var broken = Array(identity.secretText)
        broken[40] = broken[40] == "Q" ? "P" : "Q"
        let cases: [(String, String)] = [
            ("# only comments\n", "The identity file f holds no age identity (an AGE-SECRET-KEY-1… line)."),
            ("# c\n\(String(broken))\n", "Line 2 of the identity file f is not an age secret key: its checksum does not match (a character was mistyped, left out or added)."),
            ("\(identity.recipient)\n", "Line 1 of the identity file f is not an age secret key: it is a public key (age1…); an identity file holds the secret key (AGE-SECRET-KEY-1…)."),
        ]
        for (text, expected) in cases {
            XCTAssertThrowsError(try IdentityFile.parse(Data(text.utf8), name: "f")) { error in
                XCTAssertEqual((error as? DPMError)?.message, expected)
            }
        }
        XCTAssertThrowsError(try IdentityFile.parse(Data([0xFF, 0xFE]), name: "f"))
        XCTAssertThrowsError(try IdentityFile.load(path: "\(folder)/missing.txt")) { error in
            XCTAssertEqual((error as? DPMError)?.kind, .notFound)
            XCTAssertEqual((error as? DPMError)?.message,
                           "There is no age identity file at \(folder)/missing.txt; make one with \"dpm key generate\", or set DPM_IDENTITY_FILE to yours (age-keygen makes them too).")
        }
    }
}
