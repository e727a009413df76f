import DatasetKit
import Foundation
import XCTest

/// The download cache through ObjectTransfer, with an in-memory store and an identity codec.
final class ObjectCacheTests: XCTestCase {
    private var folder: String!

    override func setUpWithError() throws {
        folder = NSTemporaryDirectory() + "dpm-cache-\(UUID().uuidString)"
    }

    override func tearDown() { try? FileManager.default.removeItem(atPath: folder) }

    func testMissIsVerifiedThenCachedAndAHitSkipsTheStore() throws {
        let store = MemoryStore()
        let cache = try ObjectCache(root: folder)
        let transfer = ObjectTransfer(store: store, codec: IdentityCodec(), cache: cache)
        let content = Data("table rows\n".utf8)
        let stored = try transfer.storeData(content)

        XCTAssertEqual(try transfer.fetchData(sha256: stored.sha256, what: "t"), content)
        XCTAssertEqual(store.opens.current, 1, "verified before it was stored, then downloaded once")
        XCTAssertEqual(try transfer.fetchData(sha256: stored.sha256, what: "t"), content)
        XCTAssertEqual(store.opens.current, 1, "the second read came from the cache")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: "\(folder!)/.tmp"), [])
    }

    func testCorruptDownloadIsNotCachedAndCorruptCacheIsEvicted() throws {
        let store = MemoryStore()
        let cache = try ObjectCache(root: folder)
        let transfer = ObjectTransfer(store: store, codec: IdentityCodec(), cache: cache)
        let stored = try transfer.storeData(Data("good".utf8))
        let key = StoreLayout.objectKey(stored.sha256)

        store.objects.withValue { $0[key] = Data("evil".utf8) }
        XCTAssertThrowsError(try transfer.fetchData(sha256: stored.sha256, what: "t")) {
            XCTAssertTrue($0.userMessage.contains("is corrupt: its content hashes to"), $0.userMessage)
            XCTAssertEqual(($0 as? DPMError)?.kind, .corrupt)
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: "\(folder!)/\(key)"), "unverified bytes never enter the cache")

        store.objects.withValue { $0[key] = Data("good".utf8) }
        XCTAssertEqual(try transfer.fetchData(sha256: stored.sha256, what: "t"), Data("good".utf8))
        try Data("rot!".utf8).write(to: URL(fileURLWithPath: "\(folder!)/\(key)"))
        XCTAssertThrowsError(try transfer.fetchData(sha256: stored.sha256, what: "t")) {
            XCTAssertTrue($0.userMessage.contains("The cached copy was removed"), $0.userMessage)
            XCTAssertEqual(($0 as? DPMError)?.kind, .corrupt)
        }
        XCTAssertEqual(try transfer.fetchData(sha256: stored.sha256, what: "t"), Data("good".utf8), "fetched anew from the store")
    }
}

/// A store in memory that counts opens.
final class MemoryStore: ObjectStore, @unchecked Sendable {
    let objects = Locked([String: Data]())
    let opens = Locked(0)

    var displayName: String { "memory" }

    func put(_ key: String, from source: ByteReader, expectedSHA256: String?, overwrite: Bool,
             verify: (@Sendable (ByteReader) throws -> Void)?) throws -> StoredBytes {
        let data = try source.readAll()
        try verify?(DataReader(data))
        try objects.withValue { objects in
            if !overwrite, objects[key] != nil { throw DPMError.objectExists(key: key, store: displayName) }
            objects[key] = data
        }
        return StoredBytes(size: Int64(data.count), sha256: SHA256Hex.of(data))
    }

    func open(_ key: String) throws -> ByteReader {
        opens.withValue { $0 += 1 }
        guard let data = objects.current[key] else { throw DPMError.objectNotFound(key: key, store: displayName) }
        return DataReader(data)
    }

    func storedSize(_ key: String) throws -> Int64? { objects.current[key].map { Int64($0.count) } }
    func entries(prefix: String) throws -> [StoreEntry] {
        objects.current.filter { $0.key.hasPrefix(prefix) }.sorted { $0.key < $1.key }
            .map { StoreEntry(key: $0.key, size: Int64($0.value.count), modified: Date(timeIntervalSince1970: 0)) }
    }
    func delete(_ key: String) throws { objects.withValue { $0[key] = nil } }
}

struct IdentityCodec: CompressionCodec {
    var name: String { "identity" }
    func compressing(_ source: ByteReader) throws -> ByteReader { source }
    func decompressing(_ source: ByteReader) throws -> ByteReader { source }
}
