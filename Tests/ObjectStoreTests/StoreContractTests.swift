import DatasetKit
import Foundation
import XCTest

/// The behaviour every store implementation must have. A subclass provides `makeStore`;
/// this base class runs nothing itself.
class StoreContractTests: XCTestCase {
    /// A fresh, empty store; nil in the base class.
    func makeStore() throws -> ObjectStore? { nil }

    private func store() throws -> ObjectStore {
        guard let store = try makeStore() else { throw XCTSkip("contract base class") }
        return store
    }

    func testPutThenOpenRoundTripsLargeContent() throws {
        let store = try store()
        var bytes = [UInt8](repeating: 0, count: 3 * streamChunkSize + 12345)
        for index in bytes.indices { bytes[index] = UInt8(truncatingIfNeeded: index &* 2654435761 >> 7) }
        let data = Data(bytes)
        let stored = try store.put("objects/aa/big", from: DataReader(data))
        XCTAssertEqual(stored, StoredBytes(size: Int64(data.count), sha256: SHA256Hex.of(data)))
        XCTAssertEqual(try store.open("objects/aa/big").readAll(), data)
        XCTAssertEqual(try store.storedSize("objects/aa/big"), Int64(data.count))
        XCTAssertTrue(try store.exists("objects/aa/big"))
    }

    func testMissingObject() throws {
        let store = try store()
        XCTAssertFalse(try store.exists("objects/00/missing"))
        XCTAssertNil(try store.storedSize("objects/00/missing"))
        XCTAssertThrowsError(try store.open("objects/00/missing")) { error in
            XCTAssertEqual(error as? DPMError, .objectNotFound(key: "objects/00/missing", store: store.displayName))
            XCTAssertEqual((error as? DPMError)?.kind, .notFound)
        }
        XCTAssertNoThrow(try store.delete("objects/00/missing"))
    }

    func testListingWithManyEntriesIsSortedAndPrefixed() throws {
        let store = try store()
        let keys = (0..<1100).map { String(format: "snapshots/p/%05d.json", $0) }
        try concurrentForEach(keys, width: 4) { key in try store.put(key, from: DataReader(Data(key.utf8))) }
        try store.put("snapshots/q/other.json", from: DataReader(Data("x".utf8)))
        try store.put("snapshots/pp/similar.json", from: DataReader(Data("x".utf8)))
        XCTAssertEqual(try store.list(prefix: "snapshots/p/"), keys)
        XCTAssertEqual(try store.list(prefix: "snapshots/").count, 1102)
        XCTAssertEqual(try store.list(prefix: "nothing/"), [])
    }

    func testEntriesCarryTheStoredSizeAndTheStoresTime() throws {
        let store = try store()
        let before = Date().addingTimeInterval(-120)
        try store.put("objects/ab/small", from: DataReader(Data("four".utf8)))
        try store.put("objects/ab/large", from: DataReader(Data(repeating: 7, count: streamChunkSize + 3)))
        let entries = try store.entries(prefix: "objects/ab/")
        XCTAssertEqual(entries.map(\.key), ["objects/ab/large", "objects/ab/small"])
        XCTAssertEqual(entries.map(\.size), [Int64(streamChunkSize + 3), 4])
        for entry in entries {
            // The store's clock, not ours: close to it on one machine, never the epoch.
            XCTAssertGreaterThan(entry.modified, before, entry.key)
            XCTAssertLessThan(entry.modified, Date().addingTimeInterval(120), entry.key)
        }
    }

    func testInterruptedWriteLeavesNothingVisible() throws {
        let store = try store()
        let source = FailingReader(failAfter: 2 * streamChunkSize)
        XCTAssertThrowsError(try store.put("objects/bb/partial", from: source))
        XCTAssertFalse(try store.exists("objects/bb/partial"))
        XCTAssertEqual(try store.list(prefix: "objects/"), [])
    }

    func testWrongHashIsRefusedAndNothingStored() throws {
        let store = try store()
        let data = Data("content".utf8)
        XCTAssertThrowsError(try store.put("objects/cc/x", from: DataReader(data), expectedSHA256: SHA256Hex.of(Data("other".utf8)), overwrite: true)) {
            XCTAssertEqual($0 as? DPMError, .storedHashMismatch(key: "objects/cc/x", expected: SHA256Hex.of(Data("other".utf8)), actual: SHA256Hex.of(data)))
        }
        XCTAssertFalse(try store.exists("objects/cc/x"))
        XCTAssertNoThrow(try store.put("objects/cc/x", from: DataReader(data), expectedSHA256: SHA256Hex.of(data), overwrite: true))
    }

    func testVerifySeesTheStoredBytesAndItsFailureLeavesNothing() throws {
        let store = try store()
        let data = Data((0..<(streamChunkSize + 99)).map { UInt8(truncatingIfNeeded: $0 * 7) })
        let seen = Locked(Data())
        try store.put("objects/ee/x", from: DataReader(data), expectedSHA256: nil, overwrite: true) { stored in
            let copy = try stored.readAll()
            seen.withValue { $0 = copy }
        }
        XCTAssertEqual(seen.current, data)
        XCTAssertThrowsError(try store.put("objects/ee/y", from: DataReader(data), expectedSHA256: nil, overwrite: true) { _ in
            throw DPMError.internal("does not decompress")
        }) { XCTAssertEqual($0.userMessage, "does not decompress") }
        XCTAssertFalse(try store.exists("objects/ee/y"))
        XCTAssertEqual(try store.list(prefix: "objects/"), ["objects/ee/x"])
    }

    /// The check reads while the bytes are still being written: when the source breaks, the
    /// check waiting for more must end too, and the put fails with the source's error.
    func testBrokenSourceEndsTheCheckAndLeavesNothing() throws {
        let store = try store()
        let checked = Locked<Int64?>(nil)
        XCTAssertThrowsError(try store.put("objects/ef/x", from: FailingReader(failAfter: 3 * streamChunkSize + 5),
                                           expectedSHA256: nil, overwrite: true) { stored in
            let count = try stored.pump(into: NullWriter())
            checked.withValue { $0 = count }
        }) { XCTAssertEqual($0.userMessage, "source broke") }
        XCTAssertNil(checked.current, "the check never saw an end of the object")
        XCTAssertFalse(try store.exists("objects/ef/x"))
    }

    func testCreateOnlyNeverOverwrites() throws {
        let store = try store()
        try store.put("snapshots/p/1.json", from: DataReader(Data("first".utf8)), expectedSHA256: nil, overwrite: false)
        XCTAssertThrowsError(try store.put("snapshots/p/1.json", from: DataReader(Data("second".utf8)), expectedSHA256: nil, overwrite: false)) {
            XCTAssertEqual($0 as? DPMError, .objectExists(key: "snapshots/p/1.json", store: store.displayName))
        }
        XCTAssertEqual(try store.open("snapshots/p/1.json").readAll(), Data("first".utf8))
    }

    func testDeleteRemoves() throws {
        let store = try store()
        try store.put("objects/dd/x", from: DataReader(Data("x".utf8)))
        try store.delete("objects/dd/x")
        XCTAssertFalse(try store.exists("objects/dd/x"))
    }

    func testKeysThatEscapeAreRefused() throws {
        let store = try store()
        XCTAssertThrowsError(try store.put("../escape", from: DataReader(Data("x".utf8))))
        XCTAssertThrowsError(try store.open("/etc/passwd"))
    }
}

/// Yields zero bytes up to a limit, then fails like a broken pipe.
final class FailingReader: ByteReader {
    private var remaining: Int
    init(failAfter: Int) { remaining = failAfter }
    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        guard remaining > 0 else { throw DPMError.internal("source broke") }
        let count = min(buffer.count, remaining)
        buffer.initializeMemory(as: UInt8.self, repeating: 7)
        remaining -= count
        return count
    }
}
