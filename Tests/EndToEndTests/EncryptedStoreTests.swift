import DatasetKit
import Foundation
import XCTest

/// An encrypted `file:` store through the real binary: uploads that seal every object, restores
/// by each recipient, a store that holds no byte of the data in the clear, and the refusals that
/// keep plaintext and encrypted stores apart.
final class EncryptedStoreTests: XCTestCase {
    private typealias F = EncryptedStoreFixture
    private var harness: Harness!
    private var alice: AgePerson!
    private var bob: AgePerson!
    /// dpm.yaml before `encryption:` was added.
    private var plainYAML = ""

    override func setUpWithError() throws {
        harness = try Harness()
        try F.createSource(in: harness)
        alice = try F.person("alice", in: harness)
        bob = try F.person("bob", keygen: true, in: harness) // an identity made by age-keygen
        plainYAML = String(decoding: harness.read("dpm.yaml") ?? Data(), as: UTF8.self)
        for person in [alice!, bob!] {
            let added = harness.dpm("key", "add", person.recipient)
            XCTAssertEqual(added.status, 0, added.stderr)
        }
        XCTAssertEqual(harness.dpm("profile", "create", "ug", "--kind", "shared").status, 0)
    }

    override func tearDown() { harness?.tearDown() }

    private func upload(_ profile: String = "ug", as person: AgePerson, file: StaticString = #filePath, line: UInt = #line) throws -> [String: Any] {
        let run = harness.dpm(["upload", profile, "--json"], environment: person.environment)
        XCTAssertEqual(run.status, 0, run.stderr, file: file, line: line)
        return try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any], file: file, line: line)
    }

    private func manifest(_ profile: String = "ug") throws -> Snapshot {
        try CanonicalJSON.decode(Snapshot.self, from: XCTUnwrap(harness.read("profiles/\(profile)/manifest.json")), what: "the manifest")
    }


    private func keyFile(_ person: AgePerson) -> String {
        "\(harness.store)/keys/\(String(SHA256Hex.of(Data(person.recipient.utf8)).prefix(32))).age"
    }

    func testTwoRecipientsEachRestoreAndTheStoreHoldsNoPlaintext() throws {
        let digest = try harness.contentDigest()
        let media = Fixture.mediaFingerprint(harness.media)
        let uploaded = try upload(as: alice)
        let pinned = try manifest()
        XCTAssertEqual(pinned.objectIDs, "hmac-sha256", "the record says its ids are keyed")
        let settings = try CanonicalJSON.decode(StoreSettings.self, from: XCTUnwrap(harness.read(".dpm/store/dpm-store.json")), what: "settings")
        XCTAssertTrue(settings.encrypted)

        // age -d of each key file, with the stock tool, prints the store key the upload sealed with.
        let ring = try F.ring(of: harness.store, as: alice)
        let hex = ring.current.symmetricKey.withUnsafeBytes { SHA256Hex.string($0) } + "\n"
        for person in [alice!, bob!] {
            let decrypted = harness.command("age", ["-d", "-i", person.file, keyFile(person)])
            XCTAssertEqual(decrypted.status, 0, decrypted.stderr)
            XCTAssertEqual(decrypted.stdout, hex)
        }

        // Every object is sealed: not a byte of the marker anywhere, raw or decompressed, and no
        // plain SHA-256 of any content in the manifest, the record or the store's names.
        let transfer = try F.transfer(of: harness.store, as: alice)
        let index = try CanonicalJSON.decode([MediaEntry].self, from: transfer.fetchData(sha256: pinned.media!.index.sha256, what: "index"), what: "index")
        XCTAssertEqual(index.count, media.count)
        var plainHashes = try ([pinned.schema] + pinned.data + [pinned.media!.index]).map { SHA256Hex.of(try transfer.fetchData($0, what: $0.path)) }
        plainHashes += media.values.map { String($0.prefix(64)) }
        let record = try XCTUnwrap(harness.read(".dpm/store/snapshots/ug/\(pinned.id).json"))
        XCTAssertEqual(record, harness.read("profiles/ug/manifest.json"))
        let files = F.files(of: harness.store)
        XCTAssertGreaterThanOrEqual(files.filter { $0.key.hasPrefix("objects/") }.count, 3, "the schema, the media index and a pack at least")
        let marker = Data(F.marker.utf8)
        for (key, bytes) in files {
            XCTAssertFalse(key.contains(F.marker), key)
            for form in F.readable(bytes) { XCTAssertNil(form.range(of: marker), "the marker in \(key)") }
            if key.hasPrefix("objects/") { XCTAssertEqual(bytes.prefix(6), Data("DPMOBJ".utf8), key) }
            for hash in plainHashes { XCTAssertFalse(key.contains(hash), "a plain SHA-256 names \(key)") }
        }
        let recordText = String(decoding: record, as: UTF8.self)
        for hash in plainHashes { XCTAssertFalse(recordText.contains(hash), "a plain SHA-256 of content in the record: \(hash)") }
        XCTAssertTrue(recordText.contains("public.accounts"), "what a record does reveal: table names")
        XCTAssertFalse(recordText.contains("letters/"), "media paths are inside the encrypted index")
        // Every content stored counts once: an object of its own, or a member of a pack.
        let stored = files.filter { $0.key.hasPrefix("objects/") }.map { file in
            (try? PackFormat.members(of: file.bytes, what: file.key))?.count ?? 1
        }
        XCTAssertEqual(uploaded["objectsStored"] as? Int, stored.reduce(0, +))

        // Each recipient restores; bob's identity came from age-keygen.
        try harness.psql("DROP DATABASE \"\(harness.database)\"", in: "postgres")
        try FileManager.default.removeItem(atPath: harness.media)
        let restored = harness.dpm(["restore", "ug"], environment: bob.environment)
        XCTAssertEqual(restored.status, 0, restored.stderr)
        XCTAssertEqual(try harness.contentDigest(), digest)
        XCTAssertEqual(Fixture.mediaFingerprint(harness.media), media)
        let copy = harness.prefix + "_alice"
        let again = harness.dpm(["restore", "ug", "--into", copy], environment: alice.environment)
        XCTAssertEqual(again.status, 0, again.stderr)
        XCTAssertEqual(try harness.contentDigest(of: copy), digest)

        // use and attach read it too; status says what the store is.
        try harness.psql("INSERT INTO audit_log (entry) VALUES ('local work')")
        let used = harness.dpm(["use", "ug"], environment: alice.environment)
        XCTAssertEqual(used.status, 0, used.stderr)
        XCTAssertEqual(try harness.contentDigest(), digest)
        let attached = harness.dpm(["attach", "ug"], environment: bob.environment)
        XCTAssertEqual(attached.status, 0, attached.stderr)
        XCTAssertEqual(try harness.contentDigest(of: harness.database + "__ug"), digest)
        XCTAssertTrue(harness.dpm("status").stdout.contains("(1 snapshots, encrypted)"))
    }

    func testEveryWayOfReadingItWronglyIsOneSentenceAndChangesNothing() throws {
        _ = try upload(as: alice)
        let copy = harness.prefix + "_copy"
        let eve = try F.person("eve", in: harness)
        var run = try harness.assertRefused(["restore", "ug", "--into", copy], environment: eve.environment,
                                            says: "Your identity (\(eve.recipient)) cannot open the store file://\(harness.store): it has no key file there; ask someone who can read the store to run \"dpm key add \(eve.recipient)\".")
        XCTAssertEqual(run.status, 1)
        let nobody = "\(harness.root)/nobody.txt"
        for command in [["restore", "ug", "--into", copy], ["use", "ug"], ["attach", "ug"], ["upload", "ug"]] {
            run = try harness.assertRefused(command, environment: ["DPM_IDENTITY_FILE": nobody],
                                            says: "The store file://\(harness.store) is encrypted, and reading it needs your age identity, but there is no identity file at \(nobody); DPM_IDENTITY_FILE names a file that does not exist; point it at your identity file.")
            XCTAssertEqual(run.status, 1)
        }
        run = try harness.assertRefused(["upload", "ug"], environment: eve.environment, says: "cannot open the store")
        XCTAssertEqual(run.status, 1)
        // Commands that touch no object need no identity.
        for command in [["status"], ["stash", "list"], ["profile", "show", "ug"], ["cache", "list"]] {
            let quiet = harness.dpm(command, environment: ["DPM_IDENTITY_FILE": nobody])
            XCTAssertEqual(quiet.status, 0, "\(command): \(quiet.stderr)")
        }

        // A key file whose bytes changed.
        let original = try Data(contentsOf: URL(fileURLWithPath: keyFile(alice)))
        var tampered = original
        tampered[tampered.count - 7] ^= 0x01
        try tampered.write(to: URL(fileURLWithPath: keyFile(alice)))
        run = try harness.assertRefused(["restore", "ug", "--into", copy], environment: alice.environment, says: "was tampered with or damaged")
        XCTAssertEqual(run.status, 1)
        try original.write(to: URL(fileURLWithPath: keyFile(alice)))

        // dpm.yaml without encryption: never reads it as plaintext nor uploads plaintext into it.
        let encryptedYAML = harness.read("dpm.yaml")!
        try harness.write(plainYAML, to: "dpm.yaml")
        let unconfigured = "The store file://\(harness.store) is encrypted, but dpm.yaml has no encryption: section"
        for command in [["upload", "ug"], ["restore", "ug", "--into", copy], ["use", "ug"], ["attach", "ug"]] {
            run = try harness.assertRefused(command, environment: alice.environment, says: unconfigured)
            XCTAssertEqual(run.status, 1)
        }
        XCTAssertTrue(harness.dpm("status").stdout.contains("(unusable: \(unconfigured)"))
        XCTAssertFalse(try harness.databaseExists(copy))
        try encryptedYAML.write(to: URL(fileURLWithPath: "\(harness.root)/dpm.yaml"))
        XCTAssertEqual(harness.dpm(["restore", "ug", "--into", copy], environment: alice.environment).status, 0, "and the right setup reads it")
    }

    func testAPlaintextStoreIsNeverEncryptedAndANewOneSaysPlaintext() throws {
        let encryptedYAML = harness.read("dpm.yaml")!
        try harness.write(plainYAML, to: "dpm.yaml")
        XCTAssertEqual(harness.dpm("upload", "ug").status, 0)
        let settings = try CanonicalJSON.decode(StoreSettings.self, from: XCTUnwrap(harness.read(".dpm/store/dpm-store.json")), what: "settings")
        XCTAssertFalse(settings.encrypted, "the first upload says the store is plaintext")
        XCTAssertNil(settings.encryption)
        XCTAssertNil(try manifest().objectIDs)
        // The marker search the encrypted store passes does find the marker in a plaintext one.
        let found = F.files(of: harness.store).filter { F.readable($0.bytes).contains { $0.range(of: Data(F.marker.utf8)) != nil } }
        XCTAssertGreaterThanOrEqual(found.count, 3, "a row, the schema's comment and a media file: \(found.map(\.key))")

        try encryptedYAML.write(to: URL(fileURLWithPath: "\(harness.root)/dpm.yaml"))
        let steps = "point store: in dpm.yaml (or DPM_STORE) at a new, empty location and upload each profile again, or remove encryption: from dpm.yaml to keep this store unencrypted."
        for command in [["upload", "ug"], ["restore", "ug", "--into", harness.prefix + "_copy"], ["use", "ug"]] {
            let run = try harness.assertRefused(command, environment: alice.environment,
                                                says: "The store file://\(harness.store) is a plaintext store (its dpm-store.json says so), but dpm.yaml configures encryption:, and dpm never encrypts a store in place nor mixes plaintext and encrypted objects; to start an encrypted store, \(steps)")
            XCTAssertEqual(run.status, 1)
        }
        // A store from before dpm wrote settings counts as plaintext.
        XCTAssertEqual(unlink("\(harness.store)/dpm-store.json"), 0)
        try harness.assertRefused(["upload", "ug"], environment: alice.environment,
                                  says: "The store file://\(harness.store) holds plaintext snapshots, but dpm.yaml configures encryption:")

        // The steps it names work: a new store, and the same upload encrypts it.
        let fresh = ["DPM_STORE": "file:\(harness.root)/encrypted-store"].merging(alice.environment) { $1 }
        let run = harness.dpm(["upload", "ug"], environment: fresh)
        XCTAssertEqual(run.status, 0, run.stderr)
        XCTAssertEqual(try manifest().objectIDs, "hmac-sha256")
    }

    func testAFirstUploadRefusedBeforeItsFirstObjectLeavesTheNewStoreAsItWas() throws {
        try FileManager.default.createDirectory(atPath: "\(harness.root)/dumps", withIntermediateDirectories: true)
        let full = "\(harness.root)/dumps/nightly.dump"
        let dumped = harness.command("pg_dump", ["--format=custom", "--file=\(full)", "--dbname=\(harness.database)"])
        XCTAssertEqual(dumped.status, 0, dumped.stderr)
        let bytes = try Data(contentsOf: URL(fileURLWithPath: full))
        try bytes.prefix(bytes.count / 2).write(to: URL(fileURLWithPath: "\(harness.root)/dumps/half.dump"))
        try harness.assertRefused(["upload", "ug", "--from-dump", "dumps/half.dump", "--no-media"], environment: alice.environment,
                                  says: "The dump half.dump cannot be read")
        XCTAssertFalse(FileManager.default.fileExists(atPath: "\(harness.store)/dpm-store.json"), "no settings, no key: still a new store")
        // With no recipient, nothing could ever read it: refused before anything is read.
        try harness.write(plainYAML + "encryption:\n  recipients: []\n", to: "dpm.yaml")
        try harness.assertRefused(["upload", "ug"], says: "dpm.yaml's encryption: lists no recipients, so nobody could read the store")
    }

    func testAByteFlippedInAnyEncryptedObjectIsDetectedAndNothingIsRestored() throws {
        _ = try upload(as: alice)
        let pinned = try manifest()
        let transfer = try F.transfer(of: harness.store, as: alice)
        let index = try CanonicalJSON.decode([MediaEntry].self, from: transfer.fetchData(sha256: pinned.media!.index.sha256, what: "index"), what: "index")
        let accounts = try XCTUnwrap(pinned.data.first { $0.table == "public.accounts" })
        let toc = try XCTUnwrap(pinned.data.first { $0.path == "toc.dat" })
        let photo = try XCTUnwrap(index.first { $0.path == "attachments/photo.bin" })
        let cases: [(id: String, says: [String])] = [
            (pinned.schema.sha256, ["schema.sql", "does not verify against its keyed id"]),
            (accounts.sha256, ["data of public.accounts", "is corrupt: it fails authentication in chunk 1 of its encrypted payload"]),
            (toc.sha256, ["toc.dat", "is corrupt: it fails authentication"]),
            (pinned.media!.index.sha256, ["media index", "is corrupt: it fails authentication"]),
            (photo.sha256, ["(attachments/photo.bin)", "is corrupt: it fails authentication"]),
        ]
        let target = harness.prefix + "_copy"
        for (id, says) in cases {
            // The object's own file, or its bytes in a pack.
            let (path, range) = try LocalStoreAccess.storedBytes(of: id, in: harness.store)
            let original = try Data(contentsOf: URL(fileURLWithPath: path))
            var flipped = original
            flipped[range.lowerBound + SealedObject.headerSize + (range.count - SealedObject.headerSize) / 2] ^= 0x40
            try flipped.write(to: URL(fileURLWithPath: path))
            let before = try harness.stateFingerprint()
            let run = harness.dpm(["restore", "ug", "--into", target, "--media-dir", "restored-media"], environment: bob.environment)
            XCTAssertEqual(run.status, 1, "\(says[0]): \(run.stderr)")
            XCTAssertEqual(run.stderr.filter { $0 == "\n" }.count, 1, run.stderr)
            for part in says + [id] { XCTAssertTrue(run.stderr.contains(part), "\"\(part)\" in: \(run.stderr)") }
            XCTAssertFalse(try harness.databaseExists(target), "nothing restored")
            XCTAssertEqual(try harness.stateFingerprint(), before, "nothing left")
            try original.write(to: URL(fileURLWithPath: path))
        }
        XCTAssertEqual(harness.dpm(["restore", "ug", "--into", target, "--media-dir", "restored-media"], environment: bob.environment).status, 0)
    }

    func testDedupAcrossProfilesAndRotationKeepsOldAndNewObjectsReadable() throws {
        let first = try upload(as: alice)
        XCTAssertEqual(harness.dpm("profile", "create", "same", "--kind", "shared").status, 0)
        let second = try upload("same", as: bob)
        let firstBytes = try XCTUnwrap(first["bytesStored"] as? Int), secondBytes = try XCTUnwrap(second["bytesStored"] as? Int)
        // At most pg_dump's table of contents (it carries the dump's time, to the second) is new:
        // the other profile's small files are named where its packs hold them.
        XCTAssertLessThanOrEqual(try XCTUnwrap(second["objectsStored"] as? Int), 1, "the same content under another profile is stored once: \(second)")
        XCTAssertLessThan(Double(secondBytes), 0.05 * Double(firstBytes), "\(second)")
        XCTAssertGreaterThan(try XCTUnwrap(second["objectsReused"] as? Int), 10)
        let before = try manifest()

        // bob leaves: the key rotates; what is uploaded next is sealed under generation 2.
        let removed = harness.dpm(["key", "remove", bob.recipient], environment: alice.environment)
        XCTAssertEqual(removed.status, 0, removed.stderr)
        try harness.psql("INSERT INTO audit_log (entry) SELECT 'after the rotation ' || i FROM generate_series(1, 200) i")
        let digest = try harness.contentDigest()
        let third = try upload(as: alice)
        XCTAssertGreaterThan(try XCTUnwrap(third["objectsReused"] as? Int), 5, "content stored before the rotation is still found")
        let after = try manifest()
        let audit = try XCTUnwrap(after.data.first { $0.table == "public.audit_log" })
        let accounts = try XCTUnwrap(after.data.first { $0.table == "public.accounts" })
        XCTAssertEqual(accounts.sha256, before.data.first { $0.table == "public.accounts" }?.sha256)
        func generation(_ id: String) throws -> Int? { SealedObject.generation(ofHeader: Data(try LocalStoreAccess.bytes(of: id, in: harness.store))) }
        XCTAssertEqual(try generation(audit.sha256), 2)
        XCTAssertEqual(try generation(accounts.sha256), 1)

        // The restore reads both generations; the older snapshot too.
        try harness.psql("DROP DATABASE \"\(harness.database)\"", in: "postgres")
        let restored = harness.dpm(["restore", "ug", "--force"], environment: alice.environment)
        XCTAssertEqual(restored.status, 0, restored.stderr)
        XCTAssertEqual(try harness.contentDigest(), digest)
        let older = harness.dpm(["restore", "ug", "--snapshot", before.id, "--into", harness.prefix + "_before"], environment: alice.environment)
        XCTAssertEqual(older.status, 0, older.stderr)
        // bob's key file is gone: he reads nothing through dpm any more.
        try harness.assertRefused(["restore", "ug", "--into", harness.prefix + "_bob"], environment: bob.environment, says: "cannot open the store")
    }
}
