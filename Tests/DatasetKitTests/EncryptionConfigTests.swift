import DatasetKit
import Foundation
import XCTest

/// `encryption:` in dpm.yaml and DPM_IDENTITY_FILE: parsed once, refused with a sentence
/// naming the line when misspelt or malformed.
final class EncryptionConfigTests: XCTestCase {
    private var folder = ""
    let alice = AgeIdentity.generate().recipient
    let bob = AgeIdentity.generate().recipient

    override func setUpWithError() throws {
        folder = NSTemporaryDirectory() + "dpm-unit-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    }

    override func tearDown() { try? FileManager.default.removeItem(atPath: folder) }

    private func load(_ text: String) throws -> ProjectConfig {
        let path = "\(folder)/dpm.yaml"
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        return try ProjectConfig.load(path: path, overrides: ProjectOverrides(), connectionStrings: UnparsableStrings())
    }

    private func message(_ text: String) -> String {
        do { _ = try load(text); return "no error" } catch { return error.userMessage.replacingOccurrences(of: folder + "/", with: "") }
    }

    func testRecipientsAreReadWithTheirCommentsIgnored() throws {
        let config = try load("store: file:s\nencryption:\n  recipients:\n    - \(alice)   # alice\n    - \"\(bob)\"  # bob\n")
        XCTAssertEqual(config.encryption, EncryptionConfig(recipients: [alice, bob]))
        XCTAssertNil(try load("store: file:s\n").encryption, "no section: a plaintext store")
        XCTAssertEqual(try load("encryption:\n  recipients: []\n").encryption, EncryptionConfig(recipients: []),
                       "an empty list still asks for encryption (an upload refuses it; it never stores plaintext)")
        XCTAssertEqual(try load("encryption:\n").encryption, EncryptionConfig(recipients: []))
    }

    func testMisspeltAndMalformedSettingsNameTheirLine() {
        XCTAssertEqual(message("store: file:s\nencryption:\n  recipient:\n    - \(alice)\n"),
                       "dpm.yaml line 3: unknown setting \"encryption.recipient\" (known: recipients).")
        XCTAssertEqual(message("encrypton:\n  recipients: []\n"),
                       "dpm.yaml line 1: unknown setting \"encrypton\" (known: database, encryption, endpoint, hooks, media, migrations, retention, store).")
        XCTAssertEqual(message("encryption:\n  recipients:\n    - \(alice)\n    - age1qqqq\n"),
                       "dpm.yaml line 4: encryption.recipients: \"age1qqqq\" is not an age public key: it is too short to hold a checksum.")
        XCTAssertEqual(message("encryption:\n  recipients:\n    - \(alice)\n    - \(alice)\n"),
                       "dpm.yaml line 4: encryption.recipients lists \(alice) twice.")
        XCTAssertEqual(message("encryption:\n  recipients: \(alice)\n"),
                       "dpm.yaml line 2: encryption.recipients must be a list of age1… public keys (one \"- age1…\" line each).")
        XCTAssertEqual(message("encryption: yes\n"),
                       "dpm.yaml line 1: \"encryption\" must be a mapping with recipients (a list of age1… public keys).")
        XCTAssertEqual(message("encryption:\n  recipients:\n    - [a]\n"),
                       "dpm.yaml line 3: each of encryption.recipients must be an age1… public key.")
        let secret = AgeIdentity.generate().secretText
        let refused = message("encryption:\n  recipients:\n    - \(secret)\n")
        XCTAssertFalse(refused.contains(secret), "a secret key pasted into dpm.yaml is never repeated: \(refused)")
        XCTAssertTrue(refused.contains("is a secret key"), refused)
    }

    func testTheIdentityFileSetting() {
        XCTAssertEqual(EncryptionSettings(environment: ["HOME": "/home/u"]), EncryptionSettings(identityFile: "/home/u/.config/dpm/identity.txt"))
        XCTAssertEqual(EncryptionSettings(environment: ["HOME": "/home/u", "XDG_CONFIG_HOME": "/cfg"]).identityFile, "/cfg/dpm/identity.txt")
        XCTAssertEqual(EncryptionSettings(environment: ["HOME": "/home/u", "XDG_CONFIG_HOME": "relative"]).identityFile,
                       "/home/u/.config/dpm/identity.txt", "XDG says a relative path is ignored")
        XCTAssertEqual(EncryptionSettings(environment: ["HOME": "/home/u", "XDG_CONFIG_HOME": "/cfg", "DPM_IDENTITY_FILE": "/k/id.txt"]),
                       EncryptionSettings(identityFile: "/k/id.txt", identityFileFromEnvironment: true))
        XCTAssertEqual(EncryptionSettings(environment: ["HOME": "/home/u", "DPM_IDENTITY_FILE": ""]).identityFile,
                       "/home/u/.config/dpm/identity.txt", "empty means unset")
        XCTAssertEqual(Settings(environment: ["HOME": "/h", "DPM_IDENTITY_FILE": "/i"]).encryption.identityFile, "/i")
    }
}
