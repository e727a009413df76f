import DatasetKit
import Foundation
import XCTest

/// `ObjectTransfer.storeChunked` and the reads of chunked artifacts, with small chunks over a
/// store in memory: the content comes back byte for byte, a store that has the chunks stores
/// nothing, an edit in the middle stores only the chunks around it, and a list that does not
/// match its record is refused.
final class ChunkedTransferTests: XCTestCase {
    private let small = ChunkerParameters(minimum: 2 << 10, average: 8 << 10, maximum: 32 << 10)
    private var folder: String!

    override func setUpWithError() throws {
        folder = NSTemporaryDirectory() + "dpm-chunked-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    }

    override func tearDown() { try? FileManager.default.removeItem(atPath: folder) }

    /// Random lines of text, as a COPY file holds, from a seeded generator.
    private static func rows(_ count: Int, seed: UInt64) -> Data {
        var state = seed
        var text = ""
        for row in 0..<count {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            text += "\(row)\t\(String(state, radix: 36))\(String(state >> 7, radix: 36))\tcustomer note \(state % 9973)\n"
        }
        return Data(text.utf8)
    }

    private func file(_ data: Data, _ name: String = "3456.dat") throws -> String {
        let path = "\(folder!)/\(name)"
        try data.write(to: URL(fileURLWithPath: path))
        return path
    }

    private func artifact(_ stored: ObjectTransfer.StoredArtifact) -> Artifact {
        Artifact(path: "3456.dat", sha256: stored.sha256, size: stored.size, storedSize: stored.storedSize, chunks: stored.chunks)
    }

    func testChunkedContentReadsBackAndIsStoredOnce() throws {
        let store = MemoryStore()
        let transfer = ObjectTransfer(store: store, codec: IdentityCodec())
        let content = Self.rows(6000, seed: 7)
        let stored = try transfer.storeChunked(fileAt: try file(content), countingLines: true, width: 3, parameters: small)
        let chunked = try XCTUnwrap(stored.chunks)
        XCTAssertGreaterThan(chunked.count, 10)
        XCTAssertEqual(stored.size, Int64(content.count))
        XCTAssertEqual(stored.newlines, 6000)
        XCTAssertEqual(stored.objects.count, chunked.count + 1, "every chunk, then the list")
        XCTAssertEqual(stored.objects.last?.sha256, stored.sha256)
        XCTAssertTrue(stored.objects.allSatisfy(\.isNew))
        let chunks = try transfer.chunks(of: artifact(stored))
        XCTAssertEqual(chunks.map(\.id), stored.objects.dropLast().map(\.sha256), "the list is in content order")
        XCTAssertTrue(chunks.dropLast().allSatisfy { $0.size >= 2 << 10 && $0.size <= 32 << 10 })

        let sink = DataWriter()
        try transfer.read(artifact(stored), into: sink)
        XCTAssertEqual(sink.data, content)
        XCTAssertEqual(try transfer.fetchData(artifact(stored), what: "3456.dat"), content)

        // The same content again, on one thread: the same list, nothing stored.
        let objectsBefore = store.objects.current
        let again = try transfer.storeChunked(fileAt: try file(content, "other.dat"), width: 1, parameters: small)
        XCTAssertEqual(again.sha256, stored.sha256)
        XCTAssertTrue(again.objects.allSatisfy { !$0.isNew })
        XCTAssertEqual(store.objects.current, objectsBefore)
    }

    func testAnEditInTheMiddleStoresOnlyTheChunksAroundIt() throws {
        let store = MemoryStore()
        let transfer = ObjectTransfer(store: store, codec: IdentityCodec())
        var content = Self.rows(8000, seed: 11)
        let first = try transfer.storeChunked(fileAt: try file(content), width: 2, parameters: small)
        content.insert(contentsOf: Data("4000\tan inserted row\tin the middle\n".utf8), at: content.count / 2)
        let second = try transfer.storeChunked(fileAt: try file(content), width: 2, parameters: small)
        let new = second.objects.filter(\.isNew)
        XCTAssertLessThanOrEqual(new.count, 3, "at most two chunks around the insert, and the list")
        XCTAssertEqual(new.last?.sha256, second.sha256)
        XCTAssertNotEqual(first.sha256, second.sha256)
        let sink = DataWriter()
        try transfer.read(artifact(second), into: sink)
        XCTAssertEqual(sink.data, content)
    }

    func testOneChunkIsTheContentItselfAndAnEmptyFileAnObject() throws {
        let transfer = ObjectTransfer(store: MemoryStore(), codec: IdentityCodec())
        let content = Data("1\tone row\n\\.\n\n\n".utf8)
        let stored = try transfer.storeChunked(fileAt: try file(content), countingLines: true, parameters: small)
        XCTAssertNil(stored.chunks)
        XCTAssertEqual(stored.sha256, SHA256Hex.of(content), "named as format 1 named it")
        XCTAssertEqual(stored.objects.count, 1)
        let empty = try transfer.storeChunked(fileAt: try file(Data(), "empty.dat"), parameters: small)
        XCTAssertEqual(empty.sha256, SHA256Hex.of(Data()))
        XCTAssertEqual(empty.size, 0)
        XCTAssertEqual(try transfer.fetchData(Artifact(path: "empty.dat", sha256: empty.sha256, size: 0, storedSize: 0), what: "empty"), Data())
    }

    func testAListThatDoesNotMatchItsRecordIsRefused() throws {
        let chunk = Chunk(id: String(repeating: "a", count: 64), size: 10, storedSize: 8)
        let artifact = Artifact(path: "3456.dat", sha256: String(repeating: "b", count: 64), size: 20, storedSize: 30,
                                chunks: ChunkedContent(count: 2, listSize: 100, listStoredSize: 14))
        func refusal(_ chunks: [Chunk]) -> String {
            do {
                _ = try ChunkList.decode(try ChunkList.encode(chunks), of: artifact, what: "3456.dat")
                return "accepted"
            } catch {
                return (error as? DPMError)?.message ?? "\(error)"
            }
        }
        XCTAssertEqual(refusal([chunk, chunk]), "accepted")
        XCTAssertEqual(refusal([chunk]), "The chunk list of 3456.dat is malformed: it has 1 chunks where the snapshot records 2.")
        XCTAssertEqual(refusal([chunk, Chunk(id: chunk.id, size: 11, storedSize: 8)]),
                       "The chunk list of 3456.dat is malformed: its chunks hold 21 bytes where the snapshot records 20.")
        XCTAssertEqual(refusal([chunk, Chunk(id: "not an id", size: 10, storedSize: 8)]),
                       "The chunk list of 3456.dat is malformed: \"not an id\" is not an object id.")
        XCTAssertEqual(refusal([chunk, Chunk(id: chunk.id, size: 0, storedSize: 8), Chunk(id: chunk.id, size: 10, storedSize: 8)].suffix(2)),
                       "The chunk list of 3456.dat is malformed: a chunk has no bytes.")
    }

    func testAChunkTheStoreRefusesFailsTheWholeArtifact() throws {
        let store = RefusingStore(refuseAfter: 3)
        let transfer = ObjectTransfer(store: store, codec: IdentityCodec())
        XCTAssertThrowsError(try transfer.storeChunked(fileAt: try file(Self.rows(6000, seed: 3)), width: 2, parameters: small)) { error in
            XCTAssertEqual((error as? DPMError)?.message, "The store refused the put.")
        }
        XCTAssertEqual(store.puts.current, store.objects.current.count, "no put was still running when the failure came back")
    }
}

/// A store in memory that refuses every put after the first `refuseAfter`.
private final class RefusingStore: ObjectStore, @unchecked Sendable {
    let objects = Locked([String: Data]())
    let puts = Locked(0)
    let refuseAfter: Int

    init(refuseAfter: Int) { self.refuseAfter = refuseAfter }

    var displayName: String { "refusing" }

    func put(_ key: String, from source: ByteReader, expectedSHA256: String?, overwrite: Bool,
             verify: (@Sendable (ByteReader) throws -> Void)?) throws -> StoredBytes {
        let data = try source.readAll()
        let allowed = puts.withValue { count -> Bool in
            guard count < refuseAfter else { return false }
            count += 1
            return true
        }
        guard allowed else { throw DPMError.unreachable("The store refused the put.") }
        usleep(2000)
        objects.withValue { $0[key] = data }
        return StoredBytes(size: Int64(data.count), sha256: SHA256Hex.of(data))
    }

    func open(_ key: String) throws -> ByteReader {
        guard let data = objects.current[key] else { throw DPMError.objectNotFound(key: key, store: displayName) }
        return DataReader(data)
    }

    func storedSize(_ key: String) throws -> Int64? { objects.current[key].map { Int64($0.count) } }
    func entries(prefix: String) throws -> [StoreEntry] { [] }
    func delete(_ key: String) throws { objects.withValue { $0[key] = nil } }
}
