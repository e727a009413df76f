@testable import DatasetKit
import Foundation
import XCTest

/// ObjectTransfer with an encrypted store's sealing, and the one choice of whether a command
/// seals (`StoreEncryption`), against a store in memory.
final class ObjectSealingTests: XCTestCase {
    private let alice = AgeIdentity.generate()
    private let bob = AgeIdentity.generate()
    private var folder: String!
    private var store = MemoryStore()

    override func setUpWithError() throws {
        folder = NSTemporaryDirectory() + "dpm-sealing-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        store = MemoryStore()
    }

    override func tearDown() { try? FileManager.default.removeItem(atPath: folder) }

    private func identityFile(_ identity: AgeIdentity) throws -> EncryptionSettings {
        let path = "\(folder!)/\(UUID().uuidString).txt"
        try Data(IdentityFile.text(for: identity, created: Date()).utf8).write(to: URL(fileURLWithPath: path))
        return EncryptionSettings(identityFile: path)
    }

    private func message(_ body: () throws -> Void) -> String {
        do {
            try body()
            return "no error"
        } catch {
            return (error as? DPMError)?.message ?? "\(error)"
        }
    }

    private func sealed(_ ring: StoreKeyring, cache: ObjectCache? = nil) -> ObjectTransfer {
        ObjectTransfer(store: store, codec: IdentityCodec(), cache: cache, sealing: ObjectSealing(ring: ring))
    }

    // MARK: the transfer

    func testObjectsAreNamedByKeyedIdsAndStoredSealed() throws {
        let ring = try StoreKeyring.create(store, recipients: [alice.recipient])
        let transfer = sealed(ring)
        let content = Data("marker row: Zebulon Quartermaine\n".utf8)
        let stored = try transfer.storeData(content)
        XCTAssertEqual(stored.sha256, ring.objectID(of: content))
        XCTAssertNotEqual(stored.sha256, SHA256Hex.of(content), "no plain SHA-256 names it")
        let bytes = try XCTUnwrap(store.objects.current[StoreLayout.objectKey(stored.sha256)])
        XCTAssertEqual(bytes.prefix(6), Data("DPMOBJ".utf8))
        XCTAssertNil(bytes.range(of: Data("Zebulon".utf8)), "the content is not in the stored bytes")
        XCTAssertEqual(stored.storedSize, Int64(bytes.count))
        XCTAssertEqual(try transfer.fetchData(sha256: stored.sha256, what: "t"), content)

        // A file of one chunk is the same keyed id, with its lines counted; stored once; and
        // diff --working names it alike.
        let file = "\(folder!)/data.dat"
        try content.write(to: URL(fileURLWithPath: file))
        let chunked = try transfer.storeChunked(fileAt: file, countingLines: true)
        XCTAssertEqual(chunked.sha256, stored.sha256)
        XCTAssertEqual(chunked.newlines, 1)
        XCTAssertFalse(try XCTUnwrap(chunked.objects.first).isNew, "the same content is stored once")
        XCTAssertEqual(try transfer.contentID(ofFileAt: file).sha256, stored.sha256)
    }

    func testAFlippedByteInAStoredObjectIsReportedCorrupt() throws {
        let transfer = sealed(try StoreKeyring.create(store, recipients: [alice.recipient]))
        let stored = try transfer.storeData(Data(repeating: 7, count: 200_000))
        let key = StoreLayout.objectKey(stored.sha256)
        let original = try XCTUnwrap(store.objects.current[key])
        for position in [3, 12, 30, 70_000, original.count - 1] {
            var changed = original
            changed[position] ^= 0x20
            store.objects.withValue { $0[key] = changed }
            XCTAssertThrowsError(try transfer.fetchData(sha256: stored.sha256, what: "schema.sql")) {
                XCTAssertEqual(($0 as? DPMError)?.kind, .corrupt)
                XCTAssertTrue($0.userMessage.hasPrefix("Object \(stored.sha256) (schema.sql) in memory is corrupt: it "), $0.userMessage)
            }
        }
        // Another object's sealed bytes under this name: they open, but their content is not this id's.
        let other = try transfer.storeData(Data("other".utf8))
        store.objects.withValue { $0[key] = $0[StoreLayout.objectKey(other.sha256)] }
        XCTAssertEqual(message { _ = try transfer.fetchData(sha256: stored.sha256, what: "t") },
                       "Object \(stored.sha256) (t) in memory is corrupt: its content does not match its keyed id.")
        // An upload finds the damaged copy and stores it anew.
        let again = try transfer.storeData(Data(repeating: 7, count: 200_000))
        XCTAssertTrue(again.isNew)
        XCTAssertEqual(try transfer.fetchData(sha256: stored.sha256, what: "t").count, 200_000)
    }

    func testTheCacheKeepsTheSealedBytes() throws {
        let ring = try StoreKeyring.create(store, recipients: [alice.recipient])
        let cache = try ObjectCache(root: "\(folder!)/cache")
        let transfer = sealed(ring, cache: cache)
        let content = Data("cached rows".utf8)
        let stored = try transfer.storeData(content)
        XCTAssertEqual(try transfer.fetchData(sha256: stored.sha256, what: "t"), content)
        let cached = try Data(contentsOf: URL(fileURLWithPath: cache.path(stored.sha256)))
        XCTAssertEqual(cached, store.objects.current[StoreLayout.objectKey(stored.sha256)], "as stored: sealed")
        XCTAssertEqual(try transfer.fetchData(sha256: stored.sha256, what: "t"), content, "and read back from the cache")
    }

    func testAfterARotationNewObjectsUseTheNewKeyAndOldOnesStillOpen() throws {
        let first = try StoreKeyring.create(store, recipients: [alice.recipient, bob.recipient])
        let old = try sealed(first).storeData(Data("before".utf8))
        let rotated = try first.rotate(in: store, to: [alice.recipient]).ring
        let transfer = sealed(rotated)
        let new = try transfer.storeData(Data("after".utf8))
        XCTAssertEqual(SealedObject.generation(ofHeader: store.objects.current[StoreLayout.objectKey(old.sha256)]!), 1)
        XCTAssertEqual(SealedObject.generation(ofHeader: store.objects.current[StoreLayout.objectKey(new.sha256)]!), 2)
        XCTAssertEqual(try transfer.fetchData(sha256: old.sha256, what: "t"), Data("before".utf8))
        XCTAssertFalse(try transfer.storeData(Data("before".utf8)).isNew, "ids never rotate: dedup survives")
        // Someone who holds only generation 1 (bob, removed) cannot open what came after.
        XCTAssertThrowsError(try sealed(first).fetchData(sha256: new.sha256, what: "t")) {
            XCTAssertTrue($0.userMessage.contains("names key generation 2 in its header, which the store has no key of"), $0.userMessage)
        }
    }

    func testRecordsMustNameObjectsTheWayTheStoreDoes() throws {
        let ring = try StoreKeyring.create(store, recipients: [alice.recipient])
        let artifact = Artifact(path: "schema.sql", sha256: String(repeating: "a", count: 64), size: 1, storedSize: 1)
        var snapshot = Snapshot(format: 1, id: "20260101T000000Z-abcdef", profile: "ug", kind: .shared, createdAt: "", message: "", tool: "",
                                compression: "zstd", source: SnapshotSource(database: "d", serverVersion: "16", serverVersionNumber: 160000),
                                filters: TableFilters(), migrations: [], schema: artifact, data: [], media: nil,
                                sizes: SnapshotSizes(total: 0, stored: 0, data: 0, media: 0))
        let plain = ObjectTransfer(store: store, codec: IdentityCodec())
        XCTAssertNoThrow(try plain.requireObjectIDs(of: snapshot))
        XCTAssertTrue(message { try self.sealed(ring).requireObjectIDs(of: snapshot) }
            .hasPrefix("Snapshot 20260101T000000Z-abcdef of ug names its objects by plain SHA-256, but the store memory is encrypted"))
        snapshot.objectIDs = ObjectSealing.idKind
        XCTAssertNoThrow(try sealed(ring).requireObjectIDs(of: snapshot))
        XCTAssertTrue(message { try plain.requireObjectIDs(of: snapshot) }.contains("names its objects by keyed ids, as only an encrypted store does"))
        snapshot.objectIDs = "blake3"
        XCTAssertTrue(message { try snapshot.validate(what: "The record") }.contains("its object ids are \"blake3\", which this dpm does not know"))
    }

    // MARK: the choice

    private func config(_ identities: AgeIdentity...) -> EncryptionConfig { EncryptionConfig(recipients: identities.map(\.recipient)) }

    func testANewStoreBecomesWhatDpmYamlSaysOnlyWhenTheUploadPublishes() throws {
        let plain = StoreEncryption(store: store, config: nil, identity: nil)
        XCTAssertNil(try plain.sealing())
        let plainStart = try plain.startUpload(now: Date())
        XCTAssertNil(plainStart.sealing)
        XCTAssertEqual(store.objects.current, [:], "nothing written before the first object")
        try plainStart.publish()
        XCTAssertEqual(try StoreSettings.read(from: store)?.encrypted, false)
        XCTAssertNil(try StoreEncryption(store: store, config: nil, identity: nil).startUpload(now: Date()).sealing)

        store = MemoryStore()
        let encrypted = StoreEncryption(store: store, config: config(alice, bob), identity: nil)
        let start = try encrypted.startUpload(now: Date())
        let sealing = try XCTUnwrap(start.sealing)
        XCTAssertEqual(store.objects.current, [:], "the key is made in memory first")
        XCTAssertEqual(try encrypted.sealing()?.ring.current, sealing.ring.current, "the command's other transfers seal alike")
        try start.publish()
        XCTAssertEqual(try StoreEncryptionState.of(store), .encrypted)
        XCTAssertEqual(try StoreKeyring.keyFileFingerprints(in: store).sorted(), [alice, bob].map(\.recipient.fingerprint).sorted())
        let opened = try StoreEncryption(store: store, config: config(alice), identity: try identityFile(bob)).sealing()
        XCTAssertEqual(opened?.ring.current, sealing.ring.current, "each recipient opens the key the upload made")
        let next = try StoreEncryption(store: store, config: config(alice), identity: try identityFile(alice)).startUpload(now: Date())
        XCTAssertEqual(next.sealing?.ring.current, sealing.ring.current, "later uploads open it")
    }

    func testAStoreOfSnapshotsWithoutSettingsGetsPlaintextSettingsFromItsNextUpload() throws {
        try store.put("snapshots/ug/20260101T000000Z-abcdef.json", from: DataReader(Data("{}".utf8)))
        let start = try StoreEncryption(store: store, config: nil, identity: nil).startUpload(now: Date())
        try start.publish()
        XCTAssertEqual(try StoreSettings.read(from: store)?.encrypted, false)
    }

    func testTheRefusals() throws {
        let display = "The store memory"
        try StoreSettings.plaintext(created: Date()).create(in: store)
        let mixed = StoreEncryption(store: store, config: config(alice), identity: nil)
        for attempt in [{ _ = try mixed.sealing() }, { _ = try mixed.startUpload(now: Date()) }] {
            XCTAssertEqual(message(attempt), "\(display) is a plaintext store (its dpm-store.json says so), but dpm.yaml configures encryption:, and dpm never encrypts a store in place nor mixes plaintext and encrypted objects; to start an encrypted store, point store: in dpm.yaml (or DPM_STORE) at a new, empty location and upload each profile again, or remove encryption: from dpm.yaml to keep this store unencrypted.")
        }

        store = MemoryStore()
        XCTAssertEqual(message { _ = try StoreEncryption(store: self.store, config: EncryptionConfig(recipients: []), identity: nil).startUpload(now: Date()) },
                       "dpm.yaml's encryption: lists no recipients, so nobody could read the store; add yours with \"dpm key add age1…\" (\"dpm key generate\" prints it).")
        XCTAssertEqual(store.objects.current, [:])
        _ = try StoreKeyring.create(store, recipients: [alice.recipient])
        let before = store.objects.current
        let unconfigured = StoreEncryption(store: store, config: nil, identity: try identityFile(alice))
        for attempt in [{ _ = try unconfigured.sealing() }, { _ = try unconfigured.startUpload(now: Date()) }] {
            XCTAssertEqual(message(attempt), "\(display) is encrypted, but dpm.yaml has no encryption: section, and dpm never reads an encrypted store as plaintext nor stores plaintext in it; put back the encryption: section your team committed (its recipients), or point store: in dpm.yaml (or DPM_STORE) at another store.")
        }
        let missing = EncryptionSettings(identityFile: "\(folder!)/none.txt")
        XCTAssertEqual(message { _ = try StoreEncryption(store: self.store, config: self.config(self.alice), identity: missing).sealing() },
                       "\(display) is encrypted, and reading it needs your age identity, but there is no identity file at \(folder!)/none.txt; make one with \"dpm key generate\" and ask someone who can read the store to run \"dpm key add\" with the key it prints, or set DPM_IDENTITY_FILE to yours.")
        let stranger = StoreEncryption(store: store, config: config(alice), identity: try identityFile(bob))
        XCTAssertEqual(message { _ = try stranger.startUpload(now: Date()) },
                       "Your identity (\(bob.recipient)) cannot open the store memory: it has no key file there; ask someone who can read the store to run \"dpm key add \(bob.recipient)\".")
        XCTAssertEqual(store.objects.current, before, "no refusal writes anything")
    }
}
