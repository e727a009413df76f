import DatasetKit
import Foundation
import ObjectStore
import XCTest

/// Format 4 through the real binary: a refresh that changes rows all over a big table (the
/// weekly refresh of a shared profile) touches nearly every chunk, and each changed chunk is
/// stored as a patch against the chunk it replaces: the upload stores, and a restore with the
/// older chunks cached downloads, about what changed. The patched snapshot restores byte for
/// byte, an unchanged re-upload names the same patches, gc keeps the bases, verify reads them,
/// and a missing base stops a restore before it builds anything.
final class PatchedChunkTests: XCTestCase {
    private var harness: Harness!

    override func setUpWithError() throws { harness = try Harness() }
    override func tearDown() { harness?.tearDown() }

    /// The shop fixture plus `events`, about 12 MB of random text: ten or so chunks.
    private static let events = """
        CREATE TABLE events (id bigint PRIMARY KEY, body text NOT NULL);
        INSERT INTO events SELECT g, md5(random()::text) || ' ' || md5(random()::text) || ' ' || md5(random()::text) || ' ' ||
          md5(random()::text) || ' ' || md5(random()::text) || ' ' || md5(random()::text) FROM generate_series(1, 60000) g;
        """

    /// 1% of the rows edited, spread over the whole table (every 100th), and 1% appended.
    private static let scatteredRefresh = """
        UPDATE events SET body = 'edited ' || body WHERE id % 100 = 37;
        INSERT INTO events SELECT g, md5(random()::text) || ' ' || md5(random()::text) FROM generate_series(60001, 60600) g;
        """

    private static let tableDigest = "SELECT md5(string_agg(id || ':' || body, ',' ORDER BY id)) FROM events"

    private func upload(_ environment: [String: String] = [:]) throws -> (result: UploadResult, snapshot: Snapshot) {
        let run = harness.dpm(["upload", "ug", "--json"], environment: environment)
        XCTAssertEqual(run.status, 0, run.stderr)
        return (try JSONDecoder().decode(UploadResult.self, from: Data(run.stdout.utf8)), try VerifyTests.manifest("ug", in: harness))
    }

    private static func events(_ snapshot: Snapshot) throws -> Artifact {
        try XCTUnwrap(snapshot.data.first { $0.table == "public.events" })
    }

    private static func chunks(of artifact: Artifact, in store: ObjectStore) throws -> [Chunk] {
        let stored = try store.open(StoreLayout.objectKey(artifact.sha256)).readAll()
        return try JSONDecoder().decode([Chunk].self, from: LocalStoreAccess.codec.decompressing(DataReader(stored)).readAll())
    }

    func testScatteredChangesAreStoredAndDownloadedAsPatches() throws {
        let cache = harness.root + "/cache"
        let bucket = try TestBucket(prefix: "patches", cache: cache)
        try Fixture.create(in: harness)
        try harness.psql(Self.events)
        XCTAssertEqual(harness.dpm("profile", "create", "ug", "--kind", "shared").status, 0)
        let first = try upload(bucket.environment)
        XCTAssertEqual(first.snapshot.format, 4)
        XCTAssertEqual(harness.dpm(["restore", "ug", "--into", harness.prefix + "_a"], environment: bucket.environment).status, 0)
        let cachedBefore = Set(try FileManager.default.subpathsOfDirectory(atPath: cache))
        let firstChunks = try Self.chunks(of: try Self.events(first.snapshot), in: bucket.store)
        XCTAssertGreaterThanOrEqual(firstChunks.count, 6)
        XCTAssertTrue(firstChunks.allSatisfy { $0.head != nil && !$0.isPatch })

        try harness.psql(Self.scatteredRefresh)
        let second = try upload(bucket.environment)
        let secondChunks = try Self.chunks(of: try Self.events(second.snapshot), in: bucket.store)
        let patched = secondChunks.filter(\.isPatch)
        // Every chunk of the old rows has an edited row: none is unchanged, each is a patch.
        XCTAssertGreaterThanOrEqual(patched.count, firstChunks.count - 2, "\(secondChunks)")
        XCTAssertTrue(Set(patched.compactMap(\.base)).isSubset(of: firstChunks.map(\.id)))
        for chunk in patched { XCTAssertEqual(try bucket.store.storedSize(StoreLayout.objectKey(chunk.id)), chunk.storedSize) }
        // A chunk with a few rows gone is a patch of a few hundred bytes; one whose boundary
        // moved holds some of its neighbour's bytes too, and the last one the new rows.
        let small = patched.filter { $0.storedSize * 100 < $0.size }
        XCTAssertGreaterThan(small.count * 2, patched.count, "\(patched)")
        // Without patches nearly the whole table would be stored again.
        XCTAssertLessThan(second.result.bytesStored * 5, first.result.bytesStored,
                          "the refresh stored \(second.result.bytesStored) bytes after \(first.result.bytesStored)")

        let restore = harness.dpm(["restore", "ug", "--into", harness.prefix + "_b"], environment: bucket.environment)
        XCTAssertEqual(restore.status, 0, restore.stderr)
        XCTAssertEqual(try harness.contentDigest(of: harness.prefix + "_b"), try harness.contentDigest())
        XCTAssertEqual(try harness.psql(Self.tableDigest, in: harness.prefix + "_b"), try harness.psql(Self.tableDigest))
        // With the first snapshot's chunks cached, the restore downloaded the patches, the
        // chunks of the new rows and the small files: far less than the snapshot stores.
        var downloaded: Int64 = 0
        for path in try FileManager.default.subpathsOfDirectory(atPath: cache) where !cachedBefore.contains(path) && path.contains("objects/") {
            downloaded += FileSize.of("\(cache)/\(path)")
        }
        XCTAssertGreaterThan(downloaded, 0)
        XCTAssertLessThan(downloaded * 5, second.snapshot.sizes.stored, "downloaded \(downloaded) of \(second.snapshot.sizes.stored)")

        // Unchanged since: the same patches are named again, nothing of the table is stored.
        let third = try upload(bucket.environment)
        XCTAssertEqual(try Self.events(third.snapshot).sha256, try Self.events(second.snapshot).sha256, "the same chunk list")
        XCTAssertLessThan(third.result.bytesStored, 64 << 10)

        // A later refresh patches against whole chunks stored before (mostly the first
        // upload's; a chunk the second stored whole, such as the one holding the new rows, may
        // serve too), never against a patch: applying a patch needs one download, not a chain.
        try harness.psql("UPDATE events SET body = 'again ' || body WHERE id % 100 = 71;")
        let fourth = try upload(bucket.environment)
        let fourthChunks = try Self.chunks(of: try Self.events(fourth.snapshot), in: bucket.store)
        let wholeBefore = Set(firstChunks.map(\.id)).union(secondChunks.filter { !$0.isPatch }.map(\.id))
        let fourthBases = Set(fourthChunks.compactMap(\.base))
        XCTAssertFalse(fourthBases.isEmpty)
        XCTAssertTrue(fourthBases.isSubset(of: wholeBefore), "\(fourthBases.subtracting(wholeBefore)) are not whole chunks stored before")
        XCTAssertTrue(fourthBases.isDisjoint(with: patched.map(\.id)), "a patch of a patch")
        let verify = harness.dpm(["verify", "--read-data", "--all"], environment: bucket.environment)
        XCTAssertEqual(verify.status, 0, verify.stdout + verify.stderr)

        // A base gone: the restore's check names it before anything is built.
        let base = try XCTUnwrap(fourthChunks.first { $0.isPatch }?.base)
        try bucket.store.delete(StoreLayout.objectKey(base))
        try? FileManager.default.removeItem(atPath: cache)
        let refused = harness.dpm(["restore", "ug", "--into", harness.prefix + "_c"], environment: bucket.environment)
        XCTAssertEqual(refused.status, 1)
        XCTAssertTrue(refused.stderr.contains("object \(base) (base of \(try Self.events(fourth.snapshot).path), data of public.events, chunk"),
                      refused.stderr)
        XCTAssertTrue(refused.stderr.contains("is missing"), refused.stderr)
        XCTAssertFalse(try harness.databaseExists(harness.prefix + "_c"))
    }

    /// gc after the first snapshot's record is gone: the chunks the patches apply to stay (the
    /// patched snapshot still restores), the first snapshot's other objects go.
    func testGCKeepsTheBasesOfPatches() throws {
        harness.environment = Harness.unpacked
        try Fixture.create(in: harness)
        try harness.psql(Self.events)
        XCTAssertEqual(harness.dpm("profile", "create", "ug", "--kind", "shared").status, 0)
        let gcStore = try GCStore.file(harness)
        let first = try gcStore.upload("ug")
        try harness.psql(Self.scatteredRefresh)
        let second = try gcStore.upload("ug")
        let secondChunks = try Self.chunks(of: try Self.events(second), in: gcStore.store)
        let bases = Set(secondChunks.compactMap(\.base))
        XCTAssertFalse(bases.isEmpty)
        try gcStore.removeRecord(first)
        Thread.sleep(forTimeInterval: GCStore.beyondStale)
        _ = try gcStore.gc()
        let left = try gcStore.objects()
        for id in bases.union(secondChunks.map(\.id)) { XCTAssertNotNil(left[id], "gc kept \(id)") }
        try gcStore.requireIntact()
        let target = harness.prefix + "_after_gc"
        let restore = gcStore.dpm("restore", "ug", "--into", target)
        XCTAssertEqual(restore.status, 0, restore.stderr)
        XCTAssertEqual(try harness.psql(Self.tableDigest, in: target), try harness.psql(Self.tableDigest))
    }

    /// In an encrypted store the patches are sealed objects like any other: a scattered refresh
    /// stores little, and another recipient restores it byte for byte.
    func testAnEncryptedStorePatchesToo() throws {
        try EncryptedStoreFixture.createSource(in: harness)
        try harness.psql(Self.events)
        let alice = try EncryptedStoreFixture.person("alice", in: harness)
        let bob = try EncryptedStoreFixture.person("bob", keygen: true, in: harness)
        for person in [alice, bob] { XCTAssertEqual(harness.dpm("key", "add", person.recipient).status, 0) }
        XCTAssertEqual(harness.dpm("profile", "create", "ug", "--kind", "shared").status, 0)
        let first = try upload(alice.environment)
        XCTAssertEqual(first.snapshot.objectIDs, "hmac-sha256")
        try harness.psql(Self.scatteredRefresh)
        let second = try upload(alice.environment)
        XCTAssertLessThan(second.result.bytesStored * 5, first.result.bytesStored,
                          "the refresh stored \(second.result.bytesStored) bytes after \(first.result.bytesStored)")
        let target = harness.prefix + "_bob"
        let restore = harness.dpm(["restore", "ug", "--into", target], environment: bob.environment)
        XCTAssertEqual(restore.status, 0, restore.stderr)
        XCTAssertEqual(try harness.contentDigest(of: target), try harness.contentDigest())
    }
}
