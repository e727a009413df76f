import DatasetKit
import Foundation
import ObjectStore
import XCTest

/// Format 2 through the real binary: a big table is stored as content-defined chunks named by
/// a chunk list, restores byte for byte, and a refresh that changes a few rows stores (and,
/// with the older chunks cached, downloads) only the chunks around them; gc keeps every chunk
/// a record names, verify reads them, and a missing or damaged chunk stops a restore before
/// it builds anything. Format 1 records (every artifact one object) still restore.
final class ChunkedStorageTests: XCTestCase {
    private var harness: Harness!
    private let mounts = TestMounts()

    override func setUpWithError() throws { harness = try Harness() }
    override func tearDown() {
        mounts.unmountAll()
        harness?.tearDown()
    }

    /// The shop fixture plus `events`, about 12 MB of random text: ten or so chunks.
    private func createDatabase() throws {
        try Fixture.create(in: harness)
        try harness.psql("""
            CREATE TABLE events (id bigint PRIMARY KEY, body text NOT NULL);
            INSERT INTO events SELECT g, md5(random()::text) || ' ' || md5(random()::text) || ' ' || md5(random()::text) || ' ' ||
              md5(random()::text) || ' ' || md5(random()::text) || ' ' || md5(random()::text) FROM generate_series(1, 60000) g;
            """)
        XCTAssertEqual(harness.dpm("profile", "create", "ug", "--kind", "shared").status, 0)
    }

    /// A few rows changed in the middle, and some appended: what a refresh of a big table is.
    private func refresh() throws {
        try harness.psql("""
            UPDATE events SET body = 'refreshed ' || body WHERE id BETWEEN 30000 AND 30020;
            INSERT INTO events SELECT g, md5(random()::text) || md5(random()::text) FROM generate_series(60001, 60500) g;
            """)
    }

    private func upload(_ environment: [String: String] = [:]) throws -> (result: UploadResult, snapshot: Snapshot) {
        let run = harness.dpm(["upload", "ug", "--json"], environment: environment)
        XCTAssertEqual(run.status, 0, run.stderr)
        return (try JSONDecoder().decode(UploadResult.self, from: Data(run.stdout.utf8)), try VerifyTests.manifest("ug", in: harness))
    }

    private func diffWorking() throws -> DiffReport {
        let run = harness.dpm("diff", "ug", "--working", "--json")
        XCTAssertTrue([0, 1].contains(run.status), run.stderr)
        return try JSONDecoder().decode(DiffReport.self, from: Data(run.stdout.utf8))
    }

    private static func events(_ snapshot: Snapshot) throws -> Artifact {
        try XCTUnwrap(snapshot.data.first { $0.table == "public.events" })
    }

    /// The chunks of a chunked artifact, read from the store as dpm stored its list.
    private static func chunks(of artifact: Artifact, in store: ObjectStore) throws -> [Chunk] {
        let stored = try store.open(StoreLayout.objectKey(artifact.sha256)).readAll()
        let list = try LocalStoreAccess.codec.decompressing(DataReader(stored)).readAll()
        return try JSONDecoder().decode([Chunk].self, from: list)
    }

    func testABigTableIsStoredAsChunksRestoredAndRefreshedByItsChangedChunks() throws {
        try createDatabase()
        let store = try LocalStoreAccess.open(harness.store)
        let first = try upload()
        XCTAssertEqual(first.snapshot.format, 4)
        let events = try Self.events(first.snapshot)
        let chunked = try XCTUnwrap(events.chunks, "a 12 MB table is chunked")
        XCTAssertGreaterThanOrEqual(chunked.count, 4)
        let chunks = try Self.chunks(of: events, in: store)
        XCTAssertEqual(chunks.count, chunked.count)
        XCTAssertEqual(chunks.reduce(0) { $0 + $1.size }, events.size)
        XCTAssertEqual(chunks.reduce(chunked.listStoredSize) { $0 + $1.storedSize }, events.storedSize)
        for chunk in chunks {
            XCTAssertEqual(try store.storedSize(StoreLayout.objectKey(chunk.id)), chunk.storedSize)
            XCTAssertLessThanOrEqual(chunk.size, Int64(ChunkerParameters.standard.maximum))
        }
        XCTAssertEqual(events.rows, 60000)
        // Small files are one chunk, stored as format 1 stored them: no list.
        XCTAssertNil(try XCTUnwrap(first.snapshot.data.first { $0.table == "public.accounts" }).chunks)

        let copy = harness.prefix + "_first"
        let restore = harness.dpm("restore", "ug", "--into", copy)
        XCTAssertEqual(restore.status, 0, restore.stderr)
        XCTAssertEqual(try harness.contentDigest(of: copy), try harness.contentDigest())

        // diff --working measures the working database as an upload would cut it: unchanged.
        XCTAssertEqual(try diffWorking().tables.changed, 0)
        try refresh()
        let changedTables = try diffWorking().tables
        XCTAssertEqual(changedTables.tables.filter { $0.status != .unchanged }.map(\.table), ["public.events"])
        let second = try upload()
        let refreshed = try Self.events(second.snapshot)
        let newChunks = try Self.chunks(of: refreshed, in: store)
        let changed = Set(newChunks.map(\.id)).subtracting(chunks.map(\.id))
        XCTAssertLessThanOrEqual(changed.count, 3, "one chunk around the updated rows, the last one or two for the appended rows")
        XCTAssertGreaterThan(changed.count, 0)
        // At most three of the table's ten or so chunks, its new list and the small files.
        XCTAssertLessThan(second.result.bytesStored * 2, first.result.bytesStored,
                          "the refresh stored \(second.result.bytesStored) bytes after \(first.result.bytesStored)")
        XCTAssertEqual(refreshed.rows, 60500)

        let copy2 = harness.prefix + "_second"
        let again = harness.dpm("restore", "ug", "--into", copy2)
        XCTAssertEqual(again.status, 0, again.stderr)
        XCTAssertEqual(try harness.contentDigest(of: copy2), try harness.contentDigest())
        // The table restored is the table dumped: COPY's bytes, in order.
        XCTAssertEqual(try harness.psql("SELECT md5(string_agg(id || ':' || body, ',' ORDER BY id)) FROM events", in: copy2),
                       try harness.psql("SELECT md5(string_agg(id || ':' || body, ',' ORDER BY id)) FROM events"))
    }

    /// Without rules, the data goes from pg_dump's pipe into the store: a TMPDIR of 2 MB, far too
    /// small for the 12 MB table, is enough (it holds only the dump's table of contents).
    func testAnUploadNeedsNoTemporarySpaceForTheData() throws {
        try createDatabase()
        let tmp = try mounts.smallFolder(bytes: 2 << 20)
        let size = Int64(try harness.psql("SELECT pg_relation_size('events')")) ?? 0
        XCTAssertGreaterThan(size, 8 << 20)
        let (result, snapshot) = try upload(["TMPDIR": tmp])
        XCTAssertGreaterThan(try Self.events(snapshot).size, 8 << 20)
        XCTAssertEqual(try Self.events(snapshot).rows, 60000)
        XCTAssertGreaterThan(result.rows, 60000)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: tmp), [], "the scratch folder is gone")
        let copy = harness.prefix + "_streamed"
        XCTAssertEqual(harness.dpm("restore", "ug", "--into", copy).status, 0)
        XCTAssertEqual(try harness.contentDigest(of: copy), try harness.contentDigest())
    }

    /// A record of format 1 (every artifact one object, no format 2 field) restores as before;
    /// one of a format this dpm does not know is refused in one sentence.
    func testFormat1RecordsStillRestoreAndUnknownFormatsAreRefused() throws {
        // Every file an object of its own, as format 1 stored them.
        harness.environment = Harness.unpacked
        try Fixture.create(in: harness)
        XCTAssertEqual(harness.dpm("profile", "create", "ug", "--kind", "shared").status, 0)
        let (_, snapshot) = try upload()
        XCTAssertTrue(snapshot.data.allSatisfy { $0.chunks == nil }, "the fixture's files are small")
        let recordPath = "\(harness.store)/\(StoreLayout.snapshotKey(profile: "ug", id: snapshot.id))"
        func rewrite(format: Int) throws {
            var old = snapshot
            old.format = format
            let json = try CanonicalJSON.encode(old)
            XCTAssertFalse(String(decoding: json, as: UTF8.self).contains("\"chunks\""))
            XCTAssertFalse(String(decoding: json, as: UTF8.self).contains("\"pack\""))
            try json.write(to: URL(fileURLWithPath: recordPath))
            try json.write(to: URL(fileURLWithPath: "\(harness.root)/profiles/ug/manifest.json"))
        }
        try rewrite(format: 1)
        let target = harness.prefix + "_old"
        let restore = harness.dpm("restore", "ug", "--into", target)
        XCTAssertEqual(restore.status, 0, restore.stderr)
        XCTAssertEqual(try harness.contentDigest(of: target), try harness.contentDigest())
        let verify = harness.dpm("verify", "--read-data")
        XCTAssertEqual(verify.status, 0, verify.stderr)

        try rewrite(format: 5)
        let refused = harness.dpm("restore", "ug", "--into", harness.prefix + "_new")
        XCTAssertEqual(refused.status, 1)
        XCTAssertTrue(refused.stderr.contains("its format 5 is unknown (this dpm reads formats 1 to 4)"), refused.stderr)
        XCTAssertEqual(refused.stderr.filter { $0 == "\n" }.count, 1, refused.stderr)
        XCTAssertFalse(try harness.databaseExists(harness.prefix + "_new"))
    }

    /// gc keeps every chunk a record's list names and deletes the chunks only a removed record
    /// named; verify reads chunks and lists; a flipped or missing chunk stops a restore before
    /// it builds anything, naming the table and the chunk.
    func testGCVerifyAndRestoreSeeEveryChunk() throws {
        // Objects counted one by one: the small files too (PackTests counts packs).
        harness.environment = Harness.unpacked
        try createDatabase()
        let gcStore = try GCStore.file(harness)
        let first = try gcStore.upload("ug")
        try refresh()
        let second = try gcStore.upload("ug")
        let firstChunks = try Self.chunks(of: try Self.events(first), in: gcStore.store).map(\.id)
        let secondList = try Self.chunks(of: try Self.events(second), in: gcStore.store)
        let secondChunks = secondList.map(\.id)
        // The changed chunks are patches against the first's: their bases stay with them.
        let bases = secondList.compactMap(\.base)
        XCTAssertFalse(bases.isEmpty, "the chunk with the updated rows is stored as a patch")
        XCTAssertTrue(Set(bases).isSubset(of: firstChunks))
        try gcStore.removeRecord(first)
        Thread.sleep(forTimeInterval: GCStore.beyondStale)
        let report = try gcStore.gc()
        let onlyFirst = Set(firstChunks).subtracting(secondChunks + bases).union(first.objectSet.subtracting(second.objectSet))
        XCTAssertEqual(report.deletedObjects, onlyFirst.count)
        let left = try gcStore.objects()
        for id in secondChunks + bases + second.objectHashes { XCTAssertNotNil(left[id], "gc kept \(id), which the record names") }
        for id in onlyFirst { XCTAssertNil(left[id], "gc deleted \(id), which only the removed record named") }
        try gcStore.requireIntact()
        let target = harness.prefix + "_after_gc"
        XCTAssertEqual(gcStore.dpm("restore", "ug", "--into", target).status, 0)
        XCTAssertEqual(try harness.contentDigest(of: target), try harness.contentDigest())

        // A flipped byte in a chunk: read by verify, named by table and chunk, marked; the
        // restore's check then reads it and refuses before building anything.
        let damaged = secondChunks[1]
        try VerifyTests.flipByte(of: damaged, in: gcStore.store)
        let found = try VerifyTests.verify(["--read-data"], in: harness, status: 2)
        XCTAssertEqual(found.problems.map(\.object), [damaged])
        XCTAssertEqual(found.problems.first?.what, ["\(try Self.events(second).path), data of public.events, chunk 2 of \(secondChunks.count)"])
        let fingerprint = try harness.stateFingerprint()
        let refused = gcStore.dpm("restore", "ug", "--into", harness.prefix + "_damaged")
        XCTAssertEqual(refused.status, 1)
        XCTAssertTrue(refused.stderr.contains("object \(damaged) (\(try Self.events(second).path), data of public.events, chunk 2 of"), refused.stderr)
        XCTAssertTrue(refused.stderr.contains("nothing was changed"), refused.stderr)
        XCTAssertEqual(try harness.stateFingerprint(), fingerprint)

        // A missing chunk list: the same, before anything is built.
        try gcStore.store.delete(StoreLayout.objectKey(try Self.events(second).sha256))
        let unlisted = gcStore.dpm("restore", "ug", "--into", harness.prefix + "_unlisted")
        XCTAssertEqual(unlisted.status, 1)
        XCTAssertTrue(unlisted.stderr.contains("chunk list of \(try Self.events(second).path), data of public.events) is missing"), unlisted.stderr)
        XCTAssertFalse(try harness.databaseExists(harness.prefix + "_unlisted"))
        // And gc refuses to run without it, deleting nothing.
        let before = try gcStore.objects()
        let gc = gcStore.dpm("gc")
        XCTAssertEqual(gc.status, 1)
        XCTAssertTrue(gc.stderr.contains("gc deleted nothing"), gc.stderr)
        XCTAssertEqual(Set(try gcStore.objects().keys), Set(before.keys))
    }

    /// Through S3 with the download cache: a restore of the refreshed snapshot, after one of the
    /// first, downloads only what the first lacked, the changed chunks and the new list.
    func testARefreshedSnapshotDownloadsOnlyItsNewChunks() throws {
        let cache = harness.root + "/cache"
        let bucket = try TestBucket(prefix: "chunks", cache: cache)
        try createDatabase()
        let first = try upload(bucket.environment)
        XCTAssertEqual(harness.dpm(["restore", "ug", "--into", harness.prefix + "_a"], environment: bucket.environment).status, 0)
        let cachedBefore = Self.cachedObjects(in: cache)
        try refresh()
        let second = try upload(bucket.environment)
        let restore = harness.dpm(["restore", "ug", "--into", harness.prefix + "_b"], environment: bucket.environment)
        XCTAssertEqual(restore.status, 0, restore.stderr)
        XCTAssertEqual(try harness.contentDigest(of: harness.prefix + "_b"), try harness.contentDigest())
        let downloaded = Self.cachedObjects(in: cache).filter { cachedBefore[$0.key] == nil }
        let firstObjects = Set(try Self.chunks(of: try Self.events(first.snapshot), in: bucket.store).map(\.id)).union(first.snapshot.objectHashes)
        let secondObjects = Set(try Self.chunks(of: try Self.events(second.snapshot), in: bucket.store).map(\.id)).union(second.snapshot.objectHashes)
        XCTAssertEqual(Set(downloaded.keys), secondObjects.subtracting(firstObjects).subtracting([second.snapshot.schema.sha256]),
                       "what the first restore cached is not downloaded again (the schema is read by the check)")
        let downloadedBytes = downloaded.values.reduce(0, +)
        // At most three of the table's ten or so chunks (random rows: their sizes vary).
        XCTAssertLessThan(downloadedBytes * 3, second.snapshot.sizes.stored, "downloaded \(downloadedBytes) of \(second.snapshot.sizes.stored)")
    }

    /// A media file above the chunk size is chunked as table data is: restored byte for byte,
    /// and an edit in its middle stores only the chunks around it; gc and verify see its chunks.
    func testABigMediaFileIsChunked() throws {
        try Fixture.create(in: harness)
        try Fixture.createMedia(in: harness)
        XCTAssertEqual(harness.dpm("profile", "create", "ug", "--kind", "shared").status, 0)
        var video = Data(count: 9 << 20)
        var state: UInt64 = 0x9E3779B97F4A7C15
        video.withUnsafeMutableBytes { bytes in
            for index in stride(from: 0, to: bytes.count, by: 8) {
                state = state &* 6364136223846793005 &+ 1442695040888963407
                bytes.storeBytes(of: state, toByteOffset: index, as: UInt64.self)
            }
        }
        let path = "\(harness.media)/videos/intro.mp4"
        try FileManager.default.createDirectory(atPath: "\(harness.media)/videos", withIntermediateDirectories: true)
        try video.write(to: URL(fileURLWithPath: path))
        let store = try LocalStoreAccess.open(harness.store)
        let (first, snapshot) = try upload()
        func entry(of snapshot: Snapshot) throws -> MediaEntry {
            let index = try XCTUnwrap(snapshot.media).index
            let stored = try store.open(StoreLayout.objectKey(index.sha256)).readAll()
            let entries = try JSONDecoder().decode([MediaEntry].self, from: LocalStoreAccess.codec.decompressing(DataReader(stored)).readAll())
            return try XCTUnwrap(entries.first { $0.path == "videos/intro.mp4" })
        }
        let chunked = try entry(of: snapshot)
        XCTAssertGreaterThanOrEqual(try XCTUnwrap(chunked.chunks).count, 3)
        XCTAssertGreaterThan(first.bytesStored, 9 << 20, "random bytes do not compress")

        video.replaceSubrange((5 << 20)..<((5 << 20) + 100), with: Data(repeating: 0x41, count: 100))
        try video.write(to: URL(fileURLWithPath: path))
        let (second, edited) = try upload()
        XCTAssertLessThan(second.bytesStored, 6 << 20, "at most two 4 MiB chunks around the edit, stored \(second.bytesStored)")
        let firstChunks = try Self.chunks(of: chunked.artifact, in: store).map(\.id)
        let editedChunks = try Self.chunks(of: try entry(of: edited).artifact, in: store).map(\.id)
        XCTAssertLessThanOrEqual(Set(editedChunks).subtracting(firstChunks).count, 2)

        let media = Fixture.mediaFingerprint(harness.media)
        try FileManager.default.removeItem(atPath: harness.media)
        let restore = harness.dpm("restore", "ug", "--force")
        XCTAssertEqual(restore.status, 0, restore.stderr)
        XCTAssertEqual(Fixture.mediaFingerprint(harness.media), media)

        let verify = try VerifyTests.verify(["--read-data", "--all"], in: harness, status: 0)
        XCTAssertGreaterThanOrEqual(verify.objectsChecked, Set(firstChunks + editedChunks).count)
        let gcStore = try GCStore.file(harness)
        try gcStore.removeRecord(snapshot)
        Thread.sleep(forTimeInterval: GCStore.beyondStale)
        _ = try gcStore.gc()
        let left = try gcStore.objects()
        for id in editedChunks { XCTAssertNotNil(left[id], "gc kept the chunk \(id) of the pinned video") }
        for id in Set(firstChunks).subtracting(editedChunks) { XCTAssertNil(left[id]) }
        try gcStore.requireIntact()
    }

    /// Object id → stored size of each object in the download cache.
    private static func cachedObjects(in cache: String) -> [String: Int64] {
        var objects: [String: Int64] = [:]
        let walker = FileManager.default.enumerator(atPath: cache)
        while let relative = walker?.nextObject() as? String {
            let name = (relative as NSString).lastPathComponent
            guard relative.hasPrefix("objects/") || relative.contains("/objects/"), SHA256Hex.isValid(name) else { continue }
            objects[name] = FileSize.of("\(cache)/\(relative)")
        }
        return objects
    }
}
