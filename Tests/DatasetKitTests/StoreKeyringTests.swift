@testable import DatasetKit
import Crypto
import Foundation
import XCTest

/// The key ring of an encrypted store, against a store in memory: create, open, grant, rotate,
/// and each way its objects can be tampered with.
final class StoreKeyringTests: XCTestCase {
    let alice = AgeIdentity.generate()
    let bob = AgeIdentity.generate()
    let carol = AgeIdentity.generate()
    let eve = AgeIdentity.generate()
    var store = MemoryStore()

    override func setUp() { store = MemoryStore() }

    private func message(_ body: () throws -> Void) -> String {
        do {
            try body()
            return "no error"
        } catch {
            return (error as? DPMError)?.message ?? "\(error)"
        }
    }

    private func kind(_ body: () throws -> Void) -> DPMError.Kind? {
        do {
            try body()
            return nil
        } catch {
            return (error as? DPMError)?.kind
        }
    }

    private func object(_ key: String) -> Data { store.objects.current[key] ?? Data() }
    private func replace(_ key: String, with data: Data) { store.objects.withValue { $0[key] = data } }

    func testCreateWritesSettingsGenerationOneAndAKeyFilePerRecipient() throws {
        let ring = try StoreKeyring.create(store, recipients: [alice.recipient, bob.recipient])
        XCTAssertEqual(ring.current.generation, 1)
        let settings = try XCTUnwrap(try StoreSettings.read(from: store))
        XCTAssertTrue(settings.encrypted)
        XCTAssertEqual(settings.encryption, .standard)
        XCTAssertEqual(settings.format, 1)
        XCTAssertEqual(try StoreEncryptionState.of(store), .encrypted)
        XCTAssertEqual(store.objects.current.keys.sorted(), ["dpm-store.json", StoreKeyLayout.keyFile(alice.recipient),
                                                             StoreKeyLayout.keyFile(bob.recipient), "keys/generations/1.json"].sorted())
        for identity in [alice, bob] {
            let opened = try StoreKeyring.open(store, identities: [identity])
            XCTAssertEqual(opened.current, ring.current)
            XCTAssertEqual(opened.openedBy, identity.recipient)
            // The key file is a plain age file whose plaintext is the key in hex.
            let plaintext = try AgeFile.decrypt(object(StoreKeyLayout.keyFile(identity.recipient)), with: [identity], name: "k")
            XCTAssertEqual(String(decoding: plaintext, as: UTF8.self), SHA256Hex.string(ring.current.bytes) + "\n")
        }
        let record = try KeyGeneration.read(1, from: store)
        XCTAssertEqual(record.keyID, ring.current.id)
        XCTAssertNil(record.previous)
        XCTAssertEqual(Set(record.keyFiles.keys), [alice.recipient.fingerprint, bob.recipient.fingerprint])
        XCTAssertEqual(record.keyFiles[alice.recipient.fingerprint]?.recipient, alice.recipient.text)
    }

    func testNoStoreKeyBytesAppearInTheStore() throws {
        let ring = try StoreKeyring.create(store, recipients: [alice.recipient])
        let rotated = try ring.rotate(in: store, to: [alice.recipient]).ring
        for key in [ring.current, rotated.current] {
            for (name, data) in store.objects.current {
                XCTAssertNil(data.range(of: key.bytes), name)
                XCTAssertNil(data.range(of: Data(SHA256Hex.string(key.bytes).utf8)), name)
                XCTAssertNil(data.range(of: Data(key.bytes.base64EncodedString().utf8)), name)
            }
        }
    }

    func testSomeoneWhoIsNoRecipientIsRefusedWithWhatToDo() throws {
        _ = try StoreKeyring.create(store, recipients: [alice.recipient])
        XCTAssertEqual(kind { _ = try StoreKeyring.open(self.store, identities: [self.eve]) }, .permissionDenied)
        XCTAssertEqual(message { _ = try StoreKeyring.open(self.store, identities: [self.eve]) },
                       "Your identity (\(eve.recipient)) cannot open the store memory: it has no key file there; ask someone who can read the store to run \"dpm key add \(eve.recipient)\".")
        XCTAssertEqual(try StoreKeyring.open(store, identities: [eve, alice]).openedBy, alice.recipient, "any identity of an identity file")
    }

    func testCreateIsRefusedOnPlaintextAndOnAlreadyEncryptedStores() throws {
        try store.put("snapshots/p/1.json", from: DataReader(Data("{}".utf8)))
        XCTAssertEqual(try StoreEncryptionState.of(store), .plaintext)
        XCTAssertEqual(message { _ = try StoreKeyring.create(self.store, recipients: [self.alice.recipient]) },
                       "The store memory holds plaintext snapshots, and dpm never encrypts a store in place; point store: in dpm.yaml (or DPM_STORE) at a new, empty location to start an encrypted one.")
        XCTAssertNil(store.objects.current["dpm-store.json"], "nothing written")

        store = MemoryStore()
        try StoreSettings.plaintext(created: Date()).create(in: store)
        XCTAssertEqual(try StoreEncryptionState.of(store), .plaintext)
        XCTAssertEqual(kind { _ = try StoreKeyring.create(self.store, recipients: [self.alice.recipient]) }, .conflict)
        XCTAssertEqual(message { _ = try StoreKeyring.open(self.store, identities: [self.alice]) },
                       "The store memory is not encrypted, so it has no keys to open.")

        store = MemoryStore()
        XCTAssertEqual(try StoreEncryptionState.of(store), .undecided)
        _ = try StoreKeyring.create(store, recipients: [alice.recipient])
        let before = store.objects.current
        XCTAssertEqual(message { _ = try StoreKeyring.create(self.store, recipients: [self.bob.recipient]) },
                       "The store memory is already encrypted; it is opened with a recipient's identity, not made again.")
        XCTAssertEqual(store.objects.current, before)
        XCTAssertEqual(kind { try StoreSettings.encrypted(created: Date()).create(in: self.store) }, .conflict, "settings are create-only")
    }

    func testAStartInterruptedAfterTheSettingsIsResumed() throws {
        try StoreSettings.encrypted(created: Date()).create(in: store)
        XCTAssertEqual(message { _ = try StoreKeyring.open(self.store, identities: [self.alice]) },
                       "The store memory is to be encrypted but has no store key yet (its first upload stopped early); the next upload makes one.")
        let ring = try StoreKeyring.create(store, recipients: [alice.recipient])
        XCTAssertEqual(try StoreKeyring.open(store, identities: [alice]).current, ring.current)
    }

    func testAGrantedRecipientReadsEveryGeneration() throws {
        let first = try StoreKeyring.create(store, recipients: [alice.recipient])
        let second = try first.rotate(in: store, to: [alice.recipient]).ring
        try second.grant(carol.recipient, in: store)
        let opened = try StoreKeyring.open(store, identities: [carol])
        XCTAssertEqual(opened.current, second.current)
        XCTAssertEqual(try opened.key(generation: 1), first.current)
        XCTAssertEqual(try opened.key(generation: 2), second.current)
        XCTAssertEqual(message { _ = try opened.key(generation: 3) },
                       "The store has no key of generation 3 (its keys go from 1 to 2); the object that names it was not written by dpm for this store.")
        XCTAssertEqual(store.objects.current.keys.filter { $0.hasPrefix("keys/") && $0.hasSuffix(".age") }.count, 2, "one file added")
    }

    func testRotatingCutsOffEveryoneNotListedAndKeepsOlderKeysForTheRest() throws {
        let first = try StoreKeyring.create(store, recipients: [alice.recipient, bob.recipient])
        try first.grant(carol.recipient, in: store) // a key file for someone dpm.yaml no longer lists
        let rotation = try first.rotate(in: store, to: [alice.recipient])
        XCTAssertEqual(rotation.deletedKeyFiles, [StoreKeyLayout.keyFile(bob.recipient), StoreKeyLayout.keyFile(carol.recipient)].sorted())
        let ring = rotation.ring
        XCTAssertEqual(ring.current.generation, 2)
        XCTAssertNotEqual(ring.current.bytes, first.current.bytes)
        XCTAssertEqual(try ring.key(generation: 1), first.current)

        let opened = try StoreKeyring.open(store, identities: [alice])
        XCTAssertEqual(opened.current, ring.current)
        XCTAssertEqual(try opened.key(generation: 1), first.current)
        // Object ids do not change with the key (dedup across a rotation); encryption does.
        XCTAssertEqual(opened.objectIDKey.withUnsafeBytes { Data($0) }, first.objectIDKey.withUnsafeBytes { Data($0) })
        XCTAssertEqual(opened.objectID(of: Data("x".utf8)), first.objectID(of: Data("x".utf8)))
        XCTAssertNotEqual(opened.objectEncryptionKey.withUnsafeBytes { Data($0) }, first.objectEncryptionKey.withUnsafeBytes { Data($0) })

        for removed in [bob, carol] {
            XCTAssertEqual(kind { _ = try StoreKeyring.open(self.store, identities: [removed]) }, .permissionDenied)
        }
        let record = try KeyGeneration.read(2, from: store)
        XCTAssertEqual(Set(record.keyFiles.keys), [alice.recipient.fingerprint])
        XCTAssertEqual(record.previous?.keyID, first.current.id)

        let third = try opened.rotate(in: store, to: [alice.recipient, bob.recipient]).ring
        let bobAgain = try StoreKeyring.open(store, identities: [bob])
        XCTAssertEqual(bobAgain.current, third.current)
        XCTAssertEqual(try bobAgain.key(generation: 1), first.current, "the chain goes back through generation 2")
        XCTAssertEqual(try bobAgain.key(generation: 2), ring.current)
    }

    func testARotationFromAStaleRingIsRefused() throws {
        let first = try StoreKeyring.create(store, recipients: [alice.recipient, bob.recipient])
        _ = try first.rotate(in: store, to: [alice.recipient, bob.recipient])
        let before = store.objects.current
        XCTAssertEqual(message { _ = try first.rotate(in: self.store, to: [self.alice.recipient]) },
                       "The key of the store memory was rotated by another dpm while this one ran; run the command again.")
        XCTAssertEqual(store.objects.current, before)
    }

    func testARotationInterruptedBeforeTheKeyFilesWereRewrittenLosesNoKey() throws {
        let first = try StoreKeyring.create(store, recipients: [alice.recipient, bob.recipient])
        let oldAlice = object(StoreKeyLayout.keyFile(alice.recipient))
        let second = try first.rotate(in: store, to: [alice.recipient, bob.recipient]).ring
        // As if dpm had stopped right after writing the generation record.
        replace(StoreKeyLayout.keyFile(alice.recipient), with: oldAlice)
        XCTAssertEqual(try StoreKeyring.open(store, identities: [alice]).current, second.current)
        store.objects.withValue { $0[StoreKeyLayout.keyFile(self.bob.recipient)] = nil }
        XCTAssertEqual(try StoreKeyring.open(store, identities: [bob]).current, second.current)
    }

    func testAStaleKeyFileSaysWhatToDo() throws {
        let first = try StoreKeyring.create(store, recipients: [alice.recipient])
        try first.grant(carol.recipient, in: store)
        let staleCarol = object(StoreKeyLayout.keyFile(carol.recipient))
        let second = try first.rotate(in: store, to: [alice.recipient]).ring
        try second.grant(carol.recipient, in: store)
        replace(StoreKeyLayout.keyFile(carol.recipient), with: staleCarol) // carol not in generation 2's record
        XCTAssertEqual(message { _ = try StoreKeyring.open(self.store, identities: [self.carol]) },
                       "keys/\(carol.recipient.fingerprint).age holds the store key of generation 1, but the store's key is at generation 2 (it was rotated without this key file being rewritten); ask someone who can read the store to run \"dpm key add \(carol.recipient)\" to write it again.")
    }

    func testTamperedKeyFilesFailSayingSo() throws {
        _ = try StoreKeyring.create(store, recipients: [alice.recipient])
        let name = StoreKeyLayout.keyFile(alice.recipient)
        let original = object(name)
        let repair = "ask someone who can read the store to run \"dpm key add \(alice.recipient)\" to write it again."

        for offset in [original.count - 1, original.count - 20, 40, 100] {
            var changed = original
            changed[offset] ^= 0x04
            replace(name, with: changed)
            let text = message { _ = try StoreKeyring.open(self.store, identities: [self.alice]) }
            XCTAssertEqual(kind { _ = try StoreKeyring.open(self.store, identities: [self.alice]) }, .corrupt, text)
            XCTAssertTrue(text.hasPrefix("The key file \(name) was tampered with or damaged, so it does not open (")
                          || text.hasPrefix("\(name) is named for \(alice.recipient) but does not open with that identity: it was tampered with or replaced"), text)
            XCTAssertTrue(text.hasSuffix(repair), text)
        }

        replace(name, with: try AgeFile.encrypt(StoreKey.generate(generation: 1).keyFileText, to: [alice.recipient]))
        XCTAssertEqual(message { _ = try StoreKeyring.open(self.store, identities: [self.alice]) },
                       "\(name) holds a key that is none of the store's: it was replaced or tampered with; \(repair)")
        replace(name, with: try AgeFile.encrypt(Data("hello".utf8), to: [alice.recipient]))
        XCTAssertEqual(message { _ = try StoreKeyring.open(self.store, identities: [self.alice]) },
                       "\(name) does not hold a store key: it was replaced; \(repair)")
        replace(name, with: try AgeFile.encrypt(Data("hello".utf8), to: [eve.recipient]))
        XCTAssertEqual(message { _ = try StoreKeyring.open(self.store, identities: [self.alice]) },
                       "\(name) is named for \(alice.recipient) but does not open with that identity: it was tampered with or replaced; \(repair)")
        replace(name, with: original.prefix(original.count - 10))
        XCTAssertTrue(message { _ = try StoreKeyring.open(self.store, identities: [self.alice]) }.hasPrefix("The key file \(name) was tampered with or damaged"))
    }

    func testTamperedGenerationRecordsFailSayingSo() throws {
        let first = try StoreKeyring.create(store, recipients: [alice.recipient])
        _ = try first.rotate(in: store, to: [alice.recipient])
        let second = object("keys/generations/2.json")

        var record = try KeyGeneration.read(2, from: store)
        var sealed = Data(base64Encoded: record.previous!.sealed)!
        sealed[20] ^= 1
        record.previous!.sealed = sealed.base64EncodedString()
        replace("keys/generations/2.json", with: try CanonicalJSON.encode(record))
        XCTAssertEqual(message { _ = try StoreKeyring.open(self.store, identities: [self.alice]) },
                       "keys/generations/2.json in memory does not open with the store key of generation 2: it was tampered with or damaged, so the keys of older generations cannot be read.")

        replace("keys/generations/2.json", with: second)
        var one = try KeyGeneration.read(1, from: store)
        one.keyID = "0000000000000000"
        replace("keys/generations/1.json", with: try CanonicalJSON.encode(one))
        XCTAssertEqual(message { _ = try StoreKeyring.open(self.store, identities: [self.alice]) },
                       "keys/generations/1.json in memory names another key than the one generation 2 seals: it was tampered with.")

        store.objects.withValue { $0["keys/generations/1.json"] = nil }
        XCTAssertEqual(message { _ = try StoreKeyring.open(self.store, identities: [self.alice]) },
                       "The store memory is missing keys/generations/1.json: its key records were tampered with.")

        replace("keys/generations/1.json", with: second)
        XCTAssertEqual(message { _ = try StoreKeyring.open(self.store, identities: [self.alice]) },
                       "keys/generations/1.json in memory does not describe generation 1 of the store key: it was tampered with.")
    }

    func testStoreSettingsThatAreNotDpmsAreRefused() throws {
        replace("dpm-store.json", with: Data(#"{"format": 1, "encrypted": true, "created": "x"}"#.utf8))
        XCTAssertEqual(message { _ = try StoreSettings.read(from: self.store) },
                       "dpm-store.json in memory says the store is encrypted but not how.")
        replace("dpm-store.json", with: Data(#"{"format": 9, "encrypted": false, "created": "x"}"#.utf8))
        XCTAssertEqual(message { _ = try StoreSettings.read(from: self.store) },
                       "The store memory has format 9, newer than this dpm reads (1); update dpm.")
        var settings = StoreSettings.encrypted(created: Date())
        settings.encryption?.cipher = "aes-256-gcm-stream"
        replace("dpm-store.json", with: try CanonicalJSON.encode(settings))
        XCTAssertEqual(kind { _ = try StoreSettings.read(from: self.store) }, .invalidInput)
        replace("dpm-store.json", with: Data("nope".utf8))
        XCTAssertEqual(kind { _ = try StoreSettings.read(from: self.store) }, .corrupt)
    }
}

/// The derivation of sub-keys and keyed object ids, pinned: a changed output would make every
/// encrypted store unreadable, so it needs a new version of the info strings instead. The
/// expected values were computed with Python's hmac/hashlib (RFC 5869 written out), not dpm.
final class StoreKeyDerivationTests: XCTestCase {
    let key = StoreKey(generation: 1, bytes: Data(0..<32))

    private func hex(_ key: SymmetricKey) -> String { key.withUnsafeBytes { SHA256Hex.string($0) } }

    func testSubkeysArePinned() {
        XCTAssertEqual(hex(key.subkey(.objectID)), "7ac8480d1b015fe6e8943c2b7ebb703e0126ef4d0a0407a9f0abe491cfffa8a2")
        XCTAssertEqual(hex(key.subkey(.objectEncryption)), "24e0d5d30c4021e9a007a521690ee836945c815202e3a861b7f73daec1106d3f")
        XCTAssertEqual(hex(key.subkey(.keyChain)), "49f2a6e21e85acdfc24e6cf4698abad0ef9ca083320bd77f97274986cd5d780f")
        XCTAssertEqual(hex(key.subkey(.keyID)), "e550efac997af224061c065ad532d60065b5dcafb8e21826f1b931d30f4c8e48")
        XCTAssertEqual(key.id, "e550efac997af224")
        XCTAssertEqual(Set(StoreKeyPurpose.allCases.map { hex(key.subkey($0)) }).count, StoreKeyPurpose.allCases.count)
    }

    func testKeyedObjectIdsArePinnedAndStreamTheSame() throws {
        let idKey = key.subkey(.objectID)
        XCTAssertEqual(KeyedHashingWriter.id(of: Data("hello".utf8), key: idKey), "293e6fcfda978283b94b3ba84e7b06774480c6951e662a2982eaac76473b0c40")
        XCTAssertNotEqual(KeyedHashingWriter.id(of: Data("hello".utf8), key: idKey), SHA256Hex.of(Data("hello".utf8)))

        let content = AgeFileTests.bytes(200_000)
        let sink = DataWriter()
        let writer = KeyedHashingWriter(key: idKey, forwardingTo: sink)
        for start in stride(from: 0, to: content.count, by: 7_777) {
            try content[start..<min(content.count, start + 7_777)].withUnsafeBytes { try writer.write($0) }
        }
        try writer.finish()
        XCTAssertEqual(writer.hexDigest(), KeyedHashingWriter.id(of: content, key: idKey))
        XCTAssertEqual(writer.byteCount, 200_000)
        XCTAssertEqual(sink.data, content, "forwarded unchanged")
        let other = StoreKey.generate(generation: 1)
        XCTAssertNotEqual(KeyedHashingWriter.id(of: content, key: other.subkey(.objectID)), writer.hexDigest(), "another store, another id")
    }

    func testKeyFileTextIsTheKeyInHex() {
        XCTAssertEqual(String(decoding: key.keyFileText, as: UTF8.self), "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f\n")
        XCTAssertEqual(StoreKey.fromKeyFileText(key.keyFileText, generation: 1), key)
        XCTAssertEqual(StoreKey.fromKeyFileText(Data("000102030405060708090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F".utf8), generation: 1), key)
        XCTAssertNil(StoreKey.fromKeyFileText(Data("00".utf8), generation: 1))
        XCTAssertNil(StoreKey.fromKeyFileText(Data(String(repeating: "zz", count: 32).utf8), generation: 1))
        XCTAssertFalse("\(key)".contains("0102030405"))
    }
}
