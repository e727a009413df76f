import Crypto
import DatasetKit
import Foundation
import XCTest

/// `dpm key …` through the real binary against a `file:` store, with the `age` tool (Debian's
/// age package) on the other side: identities from age-keygen, key files read by `age -d`.
/// The store is made encrypted by `StoreKeyring.create`, the call an upload makes on a store
/// whose dpm.yaml has `encryption:`.
final class KeyCommandTests: XCTestCase {
    private var harness: Harness!

    override func setUpWithError() throws {
        harness = try Harness()
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/age") else {
            throw DPMError.internal("/usr/bin/age is missing although shell/test.sh installs the age package.")
        }
    }

    override func tearDown() { harness?.tearDown() }

    /// A person: an identity file made by `dpm key generate` or by age-keygen.
    private struct Person {
        let file: String
        let recipient: String
        var environment: [String: String] { ["DPM_IDENTITY_FILE": file] }
    }

    private func person(_ name: String, keygen: Bool = false) throws -> Person {
        let file = "\(harness.root)/people/\(name).txt"
        if keygen {
            try FileManager.default.createDirectory(atPath: "\(harness.root)/people", withIntermediateDirectories: true)
            let made = harness.command("age-keygen", ["-o", file])
            XCTAssertEqual(made.status, 0, made.stderr)
            let printed = harness.command("age-keygen", ["-y", file])
            return Person(file: file, recipient: printed.stdout.trimmingCharacters(in: .whitespacesAndNewlines))
        }
        let run = harness.dpm(["key", "generate"], environment: ["DPM_IDENTITY_FILE": file])
        XCTAssertEqual(run.status, 0, run.stderr)
        return Person(file: file, recipient: run.stdout.trimmingCharacters(in: .whitespacesAndNewlines))
    }

    private func fingerprint(_ recipient: String) -> String { String(SHA256Hex.of(Data(recipient.utf8)).prefix(32)) }
    private func keyFile(_ recipient: String) -> String { "\(harness.store)/keys/\(fingerprint(recipient)).age" }

    /// What `age -d -i <identity> <file>` prints.
    private func ageDecrypt(_ file: String, as person: Person) -> Harness.Run {
        harness.command("age", ["-d", "-i", person.file, file])
    }

    private func hex(_ key: StoreKey) -> String { key.symmetricKey.withUnsafeBytes { SHA256Hex.string($0) } + "\n" }

    private func yaml() -> String { String(decoding: harness.read("dpm.yaml") ?? Data(), as: UTF8.self) }

    private func listing(_ environment: [String: String] = [:]) throws -> [String: Any] {
        let run = harness.dpm(["key", "list", "--json"], environment: environment)
        XCTAssertEqual(run.status, 0, run.stderr)
        return try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any])
    }

    /// Runs a command that must fail with one sentence containing `expected` and change nothing.
    private func refused(_ arguments: [String], environment: [String: String] = [:], _ expected: String,
                         file: StaticString = #filePath, line: UInt = #line) throws {
        let before = try harness.stateFingerprint()
        let run = harness.dpm(arguments, environment: environment)
        XCTAssertNotEqual(run.status, 0, "dpm \(arguments.joined(separator: " ")) should fail", file: file, line: line)
        XCTAssertTrue(run.stderr.contains(expected), "dpm \(arguments.joined(separator: " ")): \(run.stderr)", file: file, line: line)
        XCTAssertEqual(run.stderr.split(separator: "\n").count, 1, "one sentence: \(run.stderr)", file: file, line: line)
        XCTAssertEqual(try harness.stateFingerprint(), before, "nothing changed by dpm \(arguments.joined(separator: " "))", file: file, line: line)
    }

    func testGenerateWritesAnOwnerOnlyIdentityOnceAndPrintsItsPublicKey() throws {
        let config = "\(harness.root)/config"
        let run = harness.dpm(["key", "generate"], environment: ["XDG_CONFIG_HOME": config, "DPM_IDENTITY_FILE": ""])
        XCTAssertEqual(run.status, 0, run.stderr)
        let recipient = run.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        XCTAssertTrue(recipient.hasPrefix("age1") && recipient.count == 62, run.stdout)
        XCTAssertTrue(run.stderr.contains("Wrote your age identity to \(config)/dpm/identity.txt"), run.stderr)
        var info = stat()
        XCTAssertEqual(stat("\(config)/dpm/identity.txt", &info), 0)
        XCTAssertEqual(info.st_mode & 0o777, 0o600)
        XCTAssertEqual(stat("\(config)/dpm", &info), 0)
        XCTAssertEqual(info.st_mode & 0o777, 0o700)
        // The age tool reads it as its own.
        XCTAssertEqual(harness.command("age-keygen", ["-y", "\(config)/dpm/identity.txt"]).stdout.trimmingCharacters(in: .whitespacesAndNewlines), recipient)

        let contents = harness.read("config/dpm/identity.txt")
        let again = harness.dpm(["key", "generate"], environment: ["XDG_CONFIG_HOME": config, "DPM_IDENTITY_FILE": ""])
        XCTAssertNotEqual(again.status, 0)
        XCTAssertEqual(again.stderr, "error: There is already an identity file at \(config)/dpm/identity.txt, and dpm never overwrites one (it may be the only copy of a key that opens a store); to use another file, set DPM_IDENTITY_FILE.\n")
        XCTAssertEqual(harness.read("config/dpm/identity.txt"), contents)

        let elsewhere = harness.dpm(["key", "generate"], environment: ["XDG_CONFIG_HOME": config, "DPM_IDENTITY_FILE": "\(harness.root)/mine/id.txt"])
        XCTAssertEqual(elsewhere.status, 0, elsewhere.stderr)
        XCTAssertNotNil(harness.read("mine/id.txt"), "DPM_IDENTITY_FILE overrides")
    }

    func testBeforeTheStoreIsEncryptedAddAndRemoveEditDpmYamlOnly() throws {
        let alice = try person("alice"), bob = try person("bob", keygen: true)
        let original = yaml()
        let added = harness.dpm(["key", "add", alice.recipient, "--comment", "alice"])
        XCTAssertEqual(added.status, 0, added.stderr)
        XCTAssertEqual(added.stdout, "Added \(alice.recipient) to dpm.yaml. The store file://\(harness.store) is not encrypted yet: its first upload encrypts it for the recipients in dpm.yaml. Commit dpm.yaml.\n")
        XCTAssertEqual(harness.dpm(["key", "add", bob.recipient]).status, 0)
        XCTAssertEqual(yaml(), original + "encryption:\n  recipients:\n    - \(alice.recipient)  # alice\n    - \(bob.recipient)\n")
        XCTAssertFalse(FileManager.default.fileExists(atPath: "\(harness.store)/keys"), "no key files before the store is encrypted")
        XCTAssertFalse(FileManager.default.fileExists(atPath: "\(harness.store)/dpm-store.json"))

        let list = harness.dpm("key", "list")
        XCTAssertEqual(list.status, 0, list.stderr)
        XCTAssertTrue(list.stdout.contains("is not encrypted yet"), list.stdout)
        XCTAssertTrue(list.stdout.contains(alice.recipient) && list.stdout.contains("alice"), list.stdout)
        let json = try listing()
        XCTAssertEqual(json["storeEncryption"] as? String, "undecided")
        let recipients = try XCTUnwrap(json["recipients"] as? [[String: Any]])
        XCTAssertEqual(recipients.map { $0["recipient"] as? String }, [alice.recipient, bob.recipient])
        XCTAssertEqual(recipients.map { $0["comment"] as? String }, ["alice", nil])
        XCTAssertEqual(recipients[0]["keyFile"] as? String, "keys/\(fingerprint(alice.recipient)).age")
        XCTAssertNil(recipients[0]["hasKeyFile"])

        let removed = harness.dpm("key", "remove", bob.recipient)
        XCTAssertEqual(removed.status, 0, removed.stderr)
        XCTAssertTrue(removed.stdout.hasPrefix("Removed \(bob.recipient) from dpm.yaml. The store"), removed.stdout)
        XCTAssertEqual(yaml(), original + "encryption:\n  recipients:\n    - \(alice.recipient)  # alice\n")

        try refused(["key", "remove", alice.recipient], "is the only recipient in dpm.yaml")
        try refused(["key", "remove", bob.recipient], "is not a recipient of this project")
        try refused(["key", "add", "age1notakey"], "\"age1notakey\" is not an age public key: it contains \"o\", which is not a Bech32 character.")
        try refused(["key", "add", String(alice.recipient.dropLast()) + (alice.recipient.last == "q" ? "p" : "q")], "its checksum does not match")
    }

    func testAnEncryptedStoreAddsListsAndRotatesWithTheAgeToolOnTheOtherSide() throws {
        let alice = try person("alice", keygen: true) // an identity made by age-keygen works in dpm
        let bob = try person("bob"), carol = try person("carol"), eve = try person("eve")
        XCTAssertEqual(harness.dpm(["key", "add", alice.recipient, "--comment", "alice"]).status, 0)
        // The store's first upload would do this (dpm.yaml has encryption:).
        let store = try LocalStoreAccess.open(harness.store)
        let first = try StoreKeyring.create(store, recipients: [try AgeRecipient(alice.recipient)])

        var decrypted = ageDecrypt(keyFile(alice.recipient), as: alice)
        XCTAssertEqual(decrypted.status, 0, decrypted.stderr)
        XCTAssertEqual(decrypted.stdout, hex(first.current), "age -d of the key file prints the store key")

        let added = harness.dpm(["key", "add", bob.recipient, "--comment", "bob"], environment: alice.environment)
        XCTAssertEqual(added.status, 0, added.stderr)
        XCTAssertEqual(added.stdout, "Added \(bob.recipient) to dpm.yaml and wrote keys/\(fingerprint(bob.recipient)).age to the store file://\(harness.store): \(bob.recipient) can now read every snapshot in it. Commit dpm.yaml.\n")
        decrypted = ageDecrypt(keyFile(bob.recipient), as: bob)
        XCTAssertEqual(decrypted.stdout, hex(first.current), decrypted.stderr)
        XCTAssertNotEqual(ageDecrypt(keyFile(bob.recipient), as: alice).status, 0, "each key file is for its recipient only")

        var json = try listing()
        XCTAssertEqual(json["storeEncryption"] as? String, "encrypted")
        XCTAssertEqual(json["generation"] as? Int, 1)
        XCTAssertEqual((json["recipients"] as? [[String: Any]])?.map { $0["hasKeyFile"] as? Bool }, [true, true])

        // Refusals: each one sentence, nothing changed.
        try refused(["key", "add", carol.recipient], environment: eve.environment,
                    "Your identity (\(eve.recipient)) cannot open the store file://\(harness.store): it has no key file there; ask someone who can read the store to run \"dpm key add \(eve.recipient)\".")
        try refused(["key", "add", carol.recipient], environment: ["DPM_IDENTITY_FILE": "\(harness.root)/nobody.txt"],
                    "Adding \(carol.recipient) needs your age identity to open the store key of file://\(harness.store), and there is no identity file at \(harness.root)/nobody.txt; DPM_IDENTITY_FILE names a file that does not exist")
        try refused(["key", "remove", bob.recipient], environment: eve.environment, "cannot open the store")
        try refused(["key", "add", "age1zvkyg2lqzraa2lnjvqej32nkuu0ues2s82hzrye869xeexvn73equnujwx"], environment: alice.environment,
                    "is not an age public key: its checksum does not match")

        let aliceFile = keyFile(alice.recipient)
        let original = try Data(contentsOf: URL(fileURLWithPath: aliceFile))
        var tampered = original
        tampered[tampered.count - 5] ^= 0x10
        try tampered.write(to: URL(fileURLWithPath: aliceFile))
        try refused(["key", "add", carol.recipient], environment: alice.environment, "The key file keys/\(fingerprint(alice.recipient)).age was tampered with or damaged")
        XCTAssertNotEqual(ageDecrypt(aliceFile, as: alice).status, 0, "age refuses it too")
        try original.write(to: URL(fileURLWithPath: aliceFile))

        // Removing bob rotates: a new key for the rest, bob's file gone.
        let removed = harness.dpm(["key", "remove", bob.recipient], environment: alice.environment)
        XCTAssertEqual(removed.status, 0, removed.stderr)
        XCTAssertTrue(removed.stdout.hasPrefix("Removed \(bob.recipient) from dpm.yaml, deleted keys/\(fingerprint(bob.recipient)).age and rotated the store key to generation 2: what is uploaded from now on is readable by the 1 remaining recipient only. \(bob.recipient) can still read what was stored until now"), removed.stdout)
        XCTAssertFalse(FileManager.default.fileExists(atPath: keyFile(bob.recipient)))
        XCTAssertFalse(yaml().contains(bob.recipient))
        let rotated = try StoreKeyring.open(store, identities: try IdentityFile.load(path: alice.file))
        XCTAssertEqual(rotated.current.generation, 2)
        XCTAssertEqual(try rotated.key(generation: 1), first.current, "older objects stay readable")
        decrypted = ageDecrypt(aliceFile, as: alice)
        XCTAssertEqual(decrypted.stdout, hex(rotated.current), "age -d gives the current store key")
        XCTAssertNotEqual(decrypted.stdout, hex(first.current))
        XCTAssertThrowsError(try StoreKeyring.open(store, identities: try IdentityFile.load(path: bob.file)))

        // Carol added after the rotation reads both generations.
        XCTAssertEqual(harness.dpm(["key", "add", carol.recipient], environment: alice.environment).status, 0)
        let carolRing = try StoreKeyring.open(store, identities: try IdentityFile.load(path: carol.file))
        XCTAssertEqual(try carolRing.key(generation: 1), first.current)
        XCTAssertEqual(ageDecrypt(keyFile(carol.recipient), as: carol).stdout, hex(rotated.current))

        // A key file dpm.yaml does not list is shown, and the next rotation removes it.
        try rotated.grant(try AgeRecipient(eve.recipient), in: store)
        json = try listing()
        XCTAssertEqual(json["generation"] as? Int, 2)
        XCTAssertEqual((json["unlistedKeyFiles"] as? [[String: Any]])?.compactMap { $0["keyFile"] as? String }, ["keys/\(fingerprint(eve.recipient)).age"])
        let list = harness.dpm("key", "list")
        XCTAssertTrue(list.stdout.contains("(not in dpm.yaml)"), list.stdout)
        let again = harness.dpm(["key", "remove", carol.recipient], environment: alice.environment)
        XCTAssertEqual(again.status, 0, again.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: keyFile(eve.recipient)))
        XCTAssertFalse(FileManager.default.fileExists(atPath: keyFile(carol.recipient)))
        XCTAssertEqual(try StoreKeyring.open(store, identities: try IdentityFile.load(path: alice.file)).current.generation, 3)
        try refused(["key", "remove", alice.recipient], environment: alice.environment, "is the only recipient in dpm.yaml")
    }

    func testAPlaintextStoreIsNotGivenKeys() throws {
        let alice = try person("alice")
        try harness.write("{}", to: ".dpm/store/snapshots/p/20260101T000000Z-abcdef.json")
        try refused(["key", "add", alice.recipient], "holds plaintext snapshots, and dpm never encrypts a store in place; point store: in dpm.yaml at a new, empty location")
        let list = harness.dpm("key", "list")
        XCTAssertTrue(list.stdout.contains("is not encrypted (it holds plaintext snapshots)"), list.stdout)
    }

    func testHelpReadsWell() {
        for arguments in [["key", "--help"], ["help", "key"], ["key", "add", "--help"], ["key", "remove", "--help"], ["key", "list", "--help"], ["key", "generate", "--help"]] {
            let run = harness.dpm(arguments)
            XCTAssertEqual(run.status, 0, run.stderr)
            XCTAssertTrue(run.stdout.contains("USAGE: dpm key"), run.stdout)
        }
        let help = harness.dpm("key", "--help").stdout
        for subcommand in ["generate", "add", "list", "remove"] { XCTAssertTrue(help.contains(subcommand), help) }
        XCTAssertTrue(harness.dpm("key", "remove", "--help").stdout.contains("keeps what they could already read"))
    }
}
