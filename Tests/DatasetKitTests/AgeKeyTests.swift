@testable import DatasetKit
import Foundation
import XCTest

/// age keys: the spec's own X25519 example, round trips, and one sentence per malformed key.
final class AgeKeyTests: XCTestCase {
    // The example pair of age-encryption.org/v1, "The X25519 recipient type" (the identity is 32 bytes of 0x42).
    static let specIdentity = "AGE-SECRET-KEY-1GFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPQ4EGAEX"
    static let specRecipient = "age1zvkyg2lqzraa2lnjvqej32nkuu0ues2s82hzrye869xeexvn73equnujwj"

    func testTheSpecsExampleIdentityDerivesItsRecipient() throws {
        let identity = try AgeIdentity(Self.specIdentity, source: "the example")
        XCTAssertEqual(identity.recipient.text, Self.specRecipient)
        XCTAssertEqual(identity.secretText, Self.specIdentity)
        XCTAssertEqual(try AgeRecipient(Self.specRecipient), identity.recipient)
        XCTAssertEqual(try AgeIdentity(Self.specIdentity.lowercased(), source: "x").recipient.text, Self.specRecipient,
                       "Bech32 reads either case")
    }

    func testGeneratedKeysRoundTripThroughTheirText() throws {
        for _ in 0..<20 {
            let identity = AgeIdentity.generate()
            XCTAssertTrue(identity.secretText.hasPrefix("AGE-SECRET-KEY-1"))
            XCTAssertEqual(identity.secretText, identity.secretText.uppercased())
            XCTAssertEqual(identity.secretText.count, 74)
            let parsed = try AgeIdentity(identity.secretText, source: "x")
            XCTAssertEqual(parsed.recipient, identity.recipient)
            XCTAssertTrue(identity.recipient.text.hasPrefix("age1"))
            XCTAssertEqual(identity.recipient.text.count, 62)
            XCTAssertEqual(try AgeRecipient(identity.recipient.text), identity.recipient)
        }
        XCTAssertNotEqual(AgeIdentity.generate().recipient, AgeIdentity.generate().recipient)
    }

    func testTheDescriptionOfAnIdentityNeverShowsTheSecret() throws {
        let identity = try AgeIdentity(Self.specIdentity, source: "x")
        XCTAssertFalse("\(identity)".uppercased().contains("AGE-SECRET-KEY"))
        XCTAssertFalse(String(reflecting: identity).contains("GFPYYSJZ"))
        XCTAssertTrue("\(identity)".contains(Self.specRecipient))
    }

    func testTheFingerprintIsTheStartOfTheSHA256OfTheKeyText() throws {
        let recipient = try AgeRecipient(Self.specRecipient)
        XCTAssertEqual(recipient.fingerprint, String(SHA256Hex.of(Data(Self.specRecipient.utf8)).prefix(32)))
        XCTAssertEqual(recipient.fingerprint.count, 32)
    }

    func testMalformedPublicKeysAreOneSentenceNamingThem() {
        let cases: [(String, String)] = [
            ("", "\"\" is not an age public key: it is empty."),
            ("ssh-ed25519 AAAA", "\"ssh-ed25519 AAAA\" is not an age public key: it does not start with \"age1\"."),
            ("age1zvkyg2lqzraa2lnjvqej32nkuu0ues2s82hzrye869xeexvn73equnujwx",
             "\"age1zvkyg2lqzraa2lnjvqej32nkuu0ues2s82hzrye869xeexvn73equnujwx\" is not an age public key: its checksum does not match (a character was mistyped, left out or added)."),
            ("age1zvkyg2lqzraa2lnjvqej32nkuu0ues2s82hzrye869xeexvn73equnujw",
             "\"age1zvkyg2lqzraa2lnjvqej32nkuu0ues2s82hzrye869xeexvn73equnujw\" is not an age public key: its checksum does not match (a character was mistyped, left out or added)."),
            ("age1Zvkyg2lqzraa2lnjvqej32nkuu0ues2s82hzrye869xeexvn73equnujwj",
             "\"age1Zvkyg2lqzraa2lnjvqej32nkuu0ues2s82hzrye869xeexvn73equnujwj\" is not an age public key: it mixes upper and lower case."),
            ("age1zvkyg2lqzraa2lnjvqej32nkuu0ues2s82hzrye869xeexvn73equnujwb",
             "\"age1zvkyg2lqzraa2lnjvqej32nkuu0ues2s82hzrye869xeexvn73equnujwb\" is not an age public key: it contains \"b\", which is not a Bech32 character."),
            (Bech32.encode(prefix: "age", data: [1, 2, 3]),
             "\"\(Bech32.encode(prefix: "age", data: [1, 2, 3]))\" is not an age public key: it holds 3 bytes, not the 32 of an X25519 key."),
            (Bech32.encode(prefix: "age1yubikey", data: Array(repeating: 2, count: 33)),
             "\"\(Bech32.encode(prefix: "age1yubikey", data: Array(repeating: 2, count: 33)))\" is not an age public key: it is the key of an age plugin (age1yubikey1…), which dpm cannot use; make an X25519 key with dpm key generate or age-keygen."),
        ]
        for (text, message) in cases {
            XCTAssertThrowsError(try AgeRecipient(text), text) { error in
                XCTAssertEqual((error as? DPMError)?.kind, .invalidInput, text)
                XCTAssertEqual((error as? DPMError)?.message, message, text)
            }
        }
    }

    func testASecretKeyGivenAsAPublicKeyIsNeverRepeated() {
        XCTAssertThrowsError(try AgeRecipient(Self.specIdentity)) { error in
            let message = (error as? DPMError)?.message ?? ""
            XCTAssertFalse(message.contains("GFPYYSJZ"), message)
            XCTAssertTrue(message.contains("is a secret key"), message)
        }
    }

    func testMalformedSecretKeysAreNamedByWhereTheyCameFromNeverByTheirText() {
        var changed = Array(Self.specIdentity)
        changed[30] = changed[30] == "Q" ? "P" : "Q"
        let cases: [(String, String)] = [
            (String(changed), "its checksum does not match"),
            (Self.specRecipient, "it is a public key"),
            ("AGE-PLUGIN-YUBIKEY-1QQQQ", "the identity of an age plugin"),
            ("-----BEGIN OPENSSH PRIVATE KEY-----", "it does not start with \"AGE-SECRET-KEY-1\""),
            (Bech32.encode(prefix: "age-secret-key-", data: [1]).uppercased(), "it holds 1 bytes"),
        ]
        for (text, problem) in cases {
            XCTAssertThrowsError(try AgeIdentity(text, source: "Line 3 of the identity file /x")) { error in
                let message = (error as? DPMError)?.message ?? ""
                XCTAssertTrue(message.hasPrefix("Line 3 of the identity file /x is not an age secret key: "), message)
                XCTAssertTrue(message.contains(problem), message)
                XCTAssertFalse(message.contains(String(text.dropFirst(20).prefix(12))) && text.count > 40, "the key is never repeated: \(message)")
            }
        }
    }
}
