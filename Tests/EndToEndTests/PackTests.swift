import DatasetKit
import Foundation
import ObjectStore
import XCTest

/// Format 3 through the real binary: small tables travel in packs, so a snapshot of hundreds of
/// tables is a few objects; an unchanged re-upload names the same places and stores nothing,
/// one changed table costs one new small pack; a restore through S3 with an empty cache fetches
/// each pack once; verify finds a damaged member and names its table, restore refuses it before
/// building anything and the next upload stores it anew; gc keeps a pack while a record places
/// something in it.
final class PackTests: XCTestCase {
    private var harness: Harness!
    private static let tables = 240

    override func setUpWithError() throws { harness = try Harness() }
    override func tearDown() { harness?.tearDown() }

    /// The shop fixture plus many small tables, each with a few rows of its own.
    private func createDatabase() throws {
        try Fixture.create(in: harness)
        try harness.psql("""
            DO $$ BEGIN
              FOR i IN 1..\(Self.tables) LOOP
                EXECUTE format('CREATE TABLE setting_%s (id int PRIMARY KEY, name text NOT NULL, value text)', i);
                EXECUTE format('INSERT INTO setting_%s SELECT g, ''key '' || g, md5(random()::text) FROM generate_series(1, 5 + %s %% 17) g', i, i);
              END LOOP;
            END $$;
            """)
        XCTAssertEqual(harness.dpm("profile", "create", "ug", "--kind", "shared").status, 0)
    }

    private func upload(_ environment: [String: String] = [:]) throws -> (result: UploadResult, snapshot: Snapshot) {
        let run = harness.dpm(["upload", "ug", "--json"], environment: environment)
        XCTAssertEqual(run.status, 0, run.stderr)
        return (try JSONDecoder().decode(UploadResult.self, from: Data(run.stdout.utf8)), try VerifyTests.manifest("ug", in: harness))
    }

    private static func setting(_ number: Int, of snapshot: Snapshot) throws -> Artifact {
        try XCTUnwrap(snapshot.data.first { $0.table == "public.setting_\(number)" })
    }

    private static func packs(of snapshot: Snapshot) -> Set<String> { Set(snapshot.data.compactMap(\.pack?.pack)) }

    func testSmallTablesTravelInPacksAndAnUnchangedReuploadStoresNothing() throws {
        try createDatabase()
        let store = try LocalStoreAccess.open(harness.store)
        let (first, snapshot) = try upload()
        XCTAssertEqual(snapshot.format, 4)
        let tables = snapshot.data.filter { $0.table != nil }
        XCTAssertGreaterThan(tables.count, Self.tables)
        XCTAssertTrue(snapshot.data.allSatisfy { $0.pack != nil }, "every file of this snapshot is small")
        let packs = Self.packs(of: snapshot)
        XCTAssertEqual(packs.count, 1, "a few hundred KiB of small tables are one pack")
        // The store holds the schema, the pack and nothing else: not an object per table.
        let objects = Set(try ObjectListing.all(in: store).keys)
        XCTAssertEqual(objects, packs.union([snapshot.schema.sha256]))
        // The pack's own index agrees with the record, member for member.
        let pack = try store.open(StoreLayout.objectKey(packs.first!)).readAll()
        let members = try PackFormat.members(of: pack, what: packs.first!)
        for artifact in snapshot.data {
            let member = try XCTUnwrap(members.first { $0.id == artifact.sha256 }, artifact.path)
            XCTAssertEqual(member.offset, artifact.pack?.offset)
            XCTAssertEqual(member.storedSize, artifact.storedSize)
        }
        XCTAssertGreaterThan(first.objectsStored, Self.tables)

        let copy = harness.prefix + "_copy"
        let restore = harness.dpm("restore", "ug", "--into", copy)
        XCTAssertEqual(restore.status, 0, restore.stderr)
        XCTAssertEqual(try harness.contentDigest(of: copy), try harness.contentDigest())
        XCTAssertEqual(try VerifyTests.verify(["--read-data"], in: harness, status: 0).objectsChecked, Set(snapshot.data.map(\.sha256)).count + 1)

        // Unchanged: every table keeps its place; only the table of contents (pg_dump dates
        // it) is new, in a small pack of its own.
        let (again, unchanged) = try upload()
        func moved(_ later: Snapshot) -> [String] {
            later.data.filter { artifact in snapshot.data.first { $0.path == artifact.path }?.pack != artifact.pack }.map(\.path)
        }
        // (Within the same second as the first, the table of contents is the same too.)
        let tocMoved = moved(unchanged) == ["toc.dat"]
        XCTAssertTrue(tocMoved || moved(unchanged) == [], "\(moved(unchanged))")
        let toc = try XCTUnwrap(unchanged.data.first { $0.path == "toc.dat" })
        XCTAssertEqual(again.bytesStored, tocMoved ? toc.storedSize : 0)
        XCTAssertEqual(Set(try ObjectListing.all(in: store).keys), objects.union([try XCTUnwrap(toc.pack).pack]))

        // One table changed: one new pack, holding only what changed.
        try harness.psql("UPDATE setting_7 SET value = 'changed' WHERE id = 1")
        let (third, changed) = try upload()
        let newPacks = Self.packs(of: changed).subtracting(Self.packs(of: unchanged))
        XCTAssertEqual(newPacks.count, 1)
        let seventh = try Self.setting(7, of: changed)
        XCTAssertEqual(seventh.pack?.pack, newPacks.first)
        let newToc = try XCTUnwrap(changed.data.first { $0.path == "toc.dat" })
        let firstToc = try XCTUnwrap(snapshot.data.first { $0.path == "toc.dat" })
        XCTAssertEqual(Set(moved(changed)), newToc.pack != firstToc.pack ? ["toc.dat", seventh.path] : [seventh.path])
        XCTAssertEqual(third.bytesStored, (newToc.pack != toc.pack ? newToc.storedSize : 0) + seventh.storedSize)
        let copy2 = harness.prefix + "_changed"
        XCTAssertEqual(harness.dpm("restore", "ug", "--into", copy2).status, 0)
        XCTAssertEqual(try harness.contentDigest(of: copy2), try harness.contentDigest())
    }

    /// Through S3 with an empty download cache: one GET per pack, not one per table; the cache
    /// then holds every member, so a second restore downloads nothing.
    func testARestoreThroughS3FetchesEachPackOnce() throws {
        let cache = harness.root + "/cache"
        let bucket = try TestBucket(prefix: "packs", cache: cache)
        try createDatabase()
        let (_, snapshot) = try upload(bucket.environment)
        let verbose = bucket.environment.merging(["DPM_VERBOSE": "1"]) { $1 }
        let restore = harness.dpm(["restore", "ug", "--into", harness.prefix + "_s3"], environment: verbose)
        XCTAssertEqual(restore.status, 0, restore.stderr)
        XCTAssertEqual(try harness.contentDigest(of: harness.prefix + "_s3"), try harness.contentDigest())
        let objectGets = restore.stderr.split(separator: "\n").filter { $0.contains("S3 GET") && $0.contains("/objects/") }
        XCTAssertEqual(objectGets.count, Self.packs(of: snapshot).count + 1, "each pack and the schema once: \(objectGets)")
        // The check before it looks each pack up once, however many tables it holds.
        let objectHeads = restore.stderr.split(separator: "\n").filter { $0.contains("S3 HEAD") && $0.contains("/objects/") }
        XCTAssertLessThanOrEqual(objectHeads.count, Self.packs(of: snapshot).count + 1, "\(objectHeads)")
        let second = harness.dpm(["restore", "ug", "--into", harness.prefix + "_s3b"], environment: verbose)
        XCTAssertEqual(second.status, 0, second.stderr)
        XCTAssertEqual(second.stderr.split(separator: "\n").filter { $0.contains("S3 GET") && $0.contains("/objects/") }.count, 0,
                       second.stderr)
        // verify reads each member from its range of the pack.
        XCTAssertEqual(try VerifyTests.verify(["--read-data"], in: harness, environment: bucket.environment, status: 0).problems, [])
    }

    /// A flipped byte in one member: verify names its table, restore refuses before building
    /// anything, and the next upload mends it in its pack; a pack that is gone is named.
    func testADamagedMemberIsFoundRefusedAndStoredAnew() throws {
        try createDatabase()
        let store = try LocalStoreAccess.open(harness.store)
        let (_, snapshot) = try upload()
        let victim = try Self.setting(42, of: snapshot)
        let place = try XCTUnwrap(victim.pack)
        var bytes = try store.open(StoreLayout.objectKey(place.pack)).readAll()
        bytes[Int(place.offset + victim.storedSize / 2)] ^= 0x5A
        try store.put(StoreLayout.objectKey(place.pack), from: DataReader(bytes))

        XCTAssertEqual(try VerifyTests.verify([], in: harness, status: 0).problems, [], "a size check cannot see a flipped byte")
        let found = try VerifyTests.verify(["--read-data"], in: harness, status: 2)
        XCTAssertEqual(found.problems.map(\.object), [victim.sha256])
        XCTAssertEqual(found.problems.first?.what, ["\(victim.path), data of public.setting_42"])

        let fingerprint = try harness.stateFingerprint()
        let refused = harness.dpm("restore", "ug", "--into", harness.prefix + "_damaged")
        XCTAssertEqual(refused.status, 1)
        XCTAssertTrue(refused.stderr.contains("object \(victim.sha256) (\(victim.path), data of public.setting_42)"), refused.stderr)
        XCTAssertTrue(refused.stderr.contains("nothing was changed"), refused.stderr)
        XCTAssertEqual(try harness.stateFingerprint(), fingerprint)

        // The mark makes the next upload mend the member where it is: its pack gets the good
        // bytes back, so every record placing it there reads it again, the older one too.
        let heal = harness.dpm("upload", "ug")
        XCTAssertEqual(heal.status, 0, heal.stderr)
        XCTAssertTrue(heal.stderr.contains("The store's copy of object \(victim.sha256) was damaged"), heal.stderr)
        let repaired = try VerifyTests.manifest("ug", in: harness)
        XCTAssertEqual(try Self.setting(42, of: repaired).pack, place)
        XCTAssertEqual(try Self.setting(41, of: repaired).pack, try Self.setting(41, of: snapshot).pack)
        XCTAssertNil(try VerifyTests.mark(victim.sha256, in: store), "the upload removed the mark")
        XCTAssertEqual(try VerifyTests.verify(["--read-data", "--all"], in: harness, status: 0).problems, [])
        for (name, id) in [("_repaired", repaired.id), ("_older", snapshot.id)] {
            let restored = harness.dpm("restore", "ug", "--snapshot", id, "--into", harness.prefix + name)
            XCTAssertEqual(restored.status, 0, restored.stderr)
            XCTAssertEqual(try harness.contentDigest(of: harness.prefix + name), try harness.contentDigest())
        }

        // The first pack gone: the restore names it, before building anything.
        try store.delete(StoreLayout.objectKey(place.pack))
        let missing = harness.dpm("restore", "ug", "--into", harness.prefix + "_missing")
        XCTAssertEqual(missing.status, 1)
        XCTAssertTrue(missing.stderr.contains("the store has no pack \(place.pack)"), missing.stderr)
        XCTAssertFalse(try harness.databaseExists(harness.prefix + "_missing"))
    }

    /// gc keeps a pack while any record places an object in it, and deletes it with the last.
    func testGCKeepsAPackWhileARecordPlacesSomethingInIt() throws {
        try createDatabase()
        let gcStore = try GCStore.file(harness)
        let first = try gcStore.upload("ug")
        try harness.psql("UPDATE setting_3 SET value = 'changed' WHERE id = 2")
        let second = try gcStore.upload("ug")
        let firstPack = try XCTUnwrap(Self.packs(of: first).first)
        XCTAssertTrue(Self.packs(of: second).contains(firstPack), "the second snapshot reuses the first's places")
        try gcStore.removeRecord(first)
        Thread.sleep(forTimeInterval: GCStore.beyondStale)
        _ = try gcStore.gc()
        let left = try gcStore.objects()
        for pack in Self.packs(of: second) { XCTAssertNotNil(left[pack], "gc kept the pack \(pack)") }
        try gcStore.requireIntact()
        let target = harness.prefix + "_after_gc"
        XCTAssertEqual(gcStore.dpm("restore", "ug", "--into", target).status, 0)
        XCTAssertEqual(try harness.contentDigest(of: target), try harness.contentDigest())
    }

    /// A pack cut short: the size check finds every member beyond its end, the restore refuses
    /// before building anything, and the next upload stores those members anew.
    func testATruncatedPackIsFoundBySizeAndRefusedBeforeRestoring() throws {
        try createDatabase()
        let (_, snapshot) = try upload()
        let pack = try XCTUnwrap(Self.packs(of: snapshot).first)
        let path = "\(harness.store)/\(StoreLayout.objectKey(pack))"
        let bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        let half = bytes.count / 2
        try bytes.prefix(half).write(to: URL(fileURLWithPath: path))
        let beyond = Set(snapshot.data.filter { $0.pack!.end(storedSize: $0.storedSize) > Int64(half) }.map(\.sha256))
        XCTAssertFalse(beyond.isEmpty)

        let found = try VerifyTests.verify([], in: harness, status: 2)
        XCTAssertEqual(Set(found.problems.map(\.object)), beyond)
        for problem in found.problems {
            XCTAssertEqual(problem.problem, .wrongSize)
            XCTAssertTrue(problem.reason.contains("its pack \(pack) has \(half) bytes, too few to hold it"), problem.reason)
        }
        let fingerprint = try harness.stateFingerprint()
        let refused = harness.dpm("restore", "ug", "--into", harness.prefix + "_cut")
        XCTAssertEqual(refused.status, 1)
        XCTAssertTrue(refused.stderr.contains("lies beyond the end of its pack \(pack), which has \(half) bytes"), refused.stderr)
        XCTAssertEqual(refused.stderr.filter { $0 == "\n" }.count, 1, refused.stderr)
        XCTAssertEqual(try harness.stateFingerprint(), fingerprint)

        let (_, repaired) = try upload()
        for artifact in repaired.data where beyond.contains(artifact.sha256) { XCTAssertNotEqual(artifact.pack?.pack, pack, artifact.path) }
        let restored = harness.dpm("restore", "ug", "--into", harness.prefix + "_repaired")
        XCTAssertEqual(restored.status, 0, restored.stderr)
        XCTAssertEqual(try harness.contentDigest(of: harness.prefix + "_repaired"), try harness.contentDigest())
    }

    /// The same small tables under another profile are named where the first profile's packs
    /// hold them: deduplicated across profiles, as objects of their own are.
    func testAnotherProfileNamesTheSameSmallTablesWhereTheyAre() throws {
        try createDatabase()
        let (_, first) = try upload()
        XCTAssertEqual(harness.dpm("profile", "create", "qa", "--kind", "shared").status, 0)
        let run = harness.dpm("upload", "qa", "--json")
        XCTAssertEqual(run.status, 0, run.stderr)
        let result = try JSONDecoder().decode(UploadResult.self, from: Data(run.stdout.utf8))
        let qa = try VerifyTests.manifest("qa", in: harness)
        let moved = qa.data.filter { artifact in first.data.first { $0.path == artifact.path }?.pack != artifact.pack }.map(\.path)
        // Only pg_dump's table of contents may be new: it is dated to the second.
        XCTAssertTrue(moved == [] || moved == ["toc.dat"], "\(moved)")
        XCTAssertEqual(result.bytesStored, moved.isEmpty ? 0 : try XCTUnwrap(qa.data.first { $0.path == "toc.dat" }).storedSize)
        let restored = harness.dpm("restore", "qa", "--into", harness.prefix + "_qa")
        XCTAssertEqual(restored.status, 0, restored.stderr)
        XCTAssertEqual(try harness.contentDigest(of: harness.prefix + "_qa"), try harness.contentDigest())
    }
}
