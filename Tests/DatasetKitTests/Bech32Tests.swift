@testable import DatasetKit
import Foundation
import XCTest

/// Bech32 against BIP 173's test vectors, plus the lengths age needs beyond the BIP's limit.
final class Bech32Tests: XCTestCase {
    func testTheBIPsValidChecksums() throws {
        for text in [
            "A12UEL5L", "a12uel5l",
            "an83characterlonghumanreadablepartthatcontainsthenumber1andtheexcludedcharactersbio1tt5tgs",
            "abcdef1qpzry9x8gf2tvdw0s3jn54khce6mua7lmqqqxw",
            "11qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqc8247j",
            "split1checkupstagehandshakeupstreamerranterredcaperred2y9e3w",
            "?1ezyfcl",
        ] {
            XCTAssertNoThrow(try Bech32.decode(text), text)
        }
    }

    func testTheBIPsInvalidStrings() {
        let cases: [(String, Bech32.Problem)] = [
            ("\u{20}1nwldj5", .invalidPrefixCharacter),
            ("\u{7F}1axkwrx", .invalidPrefixCharacter),
            ("\u{80}1eym55h", .invalidCharacter("\u{80}")),
            ("pzry9x0s0muk", .noSeparator),
            ("1pzry9x0s0muk", .emptyPrefix),
            ("x1b4n0q5v", .invalidCharacter("b")),
            ("li1dgmt3", .tooShort),
            ("de1lg7wt\u{FF}", .invalidCharacter("\u{FF}")),
            ("A1G7SGD8", .badChecksum),
            ("10a06t8", .emptyPrefix),
            ("1qzzfhee", .emptyPrefix),
            ("a12UEL5L", .mixedCase),
        ]
        for (text, problem) in cases {
            XCTAssertThrowsError(try Bech32.decode(text), text.debugDescription) { error in
                XCTAssertEqual(error as? Bech32.Problem, problem, text.debugDescription)
            }
        }
    }

    func testDecodedDataOfTheBIPsVectors() throws {
        let abcdef = try Bech32.decode("abcdef1qpzry9x8gf2tvdw0s3jn54khce6mua7lmqqqxw")
        XCTAssertEqual(abcdef.prefix, "abcdef")
        XCTAssertEqual(SHA256Hex.string(abcdef.data), "00443214c74254b635cf84653a56d7c675be77df")
        let split = try Bech32.decode("split1checkupstagehandshakeupstreamerranterredcaperred2y9e3w")
        XCTAssertEqual(split.prefix, "split")
        XCTAssertEqual(SHA256Hex.string(split.data), "c5f38b70305f519bf66d85fb6cf03058f3dde463ecd7918f2dc743918f2d")
        let upper = try Bech32.decode("A12UEL5L")
        XCTAssertEqual(upper.prefix, "a")
        XCTAssertEqual(upper.data, [])
    }

    func testEncodeRoundTripsPastTheBIPsLengthLimit() throws {
        for length in [0, 1, 31, 32, 33, 64, 200] {
            let data = (0..<length).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ 11) }
            let text = Bech32.encode(prefix: "age-secret-key-", data: data)
            let decoded = try Bech32.decode(text)
            XCTAssertEqual(decoded.prefix, "age-secret-key-")
            XCTAssertEqual(decoded.data, data, "length \(length)")
            XCTAssertEqual(try Bech32.decode(text.uppercased()).data, data, "upper case decodes the same")
        }
        XCTAssertEqual(Bech32.encode(prefix: "a", data: []), "a12uel5l")
    }

    func testEveryChangedCharacterFailsTheChecksum() throws {
        let text = Bech32.encode(prefix: "age", data: Array(repeating: 0x42, count: 32))
        let characters = Array(text)
        for index in 4..<characters.count {
            var changed = characters
            changed[index] = changed[index] == "q" ? "p" : "q"
            XCTAssertThrowsError(try Bech32.decode(String(changed)), "position \(index)")
        }
        XCTAssertThrowsError(try Bech32.decode(String(text.dropLast()))) // a character left out
    }
}
