@testable import DatasetKit
import Foundation
import XCTest

/// The parts of dpm verify without services: which snapshots need which object, what is read,
/// the flags, the marks, and a whole run over an in-memory store and a project on disk.
final class VerifyUnitTests: XCTestCase {
    private var root: String!

    override func setUpWithError() throws {
        root = NSTemporaryDirectory() + "dpm-verify-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
    }

    override func tearDown() { try? FileManager.default.removeItem(atPath: root) }

    private static let a = String(repeating: "a", count: 64), b = String(repeating: "b", count: 64)
    private static let c = String(repeating: "c", count: 64), d = String(repeating: "d", count: 64)

    private func artifact(_ path: String, _ id: String, stored: Int64, table: String? = nil) -> Artifact {
        Artifact(path: path, sha256: id, size: stored * 2, storedSize: stored, table: table)
    }

    private func snapshot(_ profile: String, _ id: String, schema: Artifact, data: [Artifact], media: Artifact? = nil) -> Snapshot {
        Snapshot(format: 1, id: id, profile: profile, kind: .shared, createdAt: "2026-06-01T09:00:00Z", message: "", tool: "dpm test",
                 compression: "zstd", source: SnapshotSource(database: "app", serverVersion: "16.4", serverVersionNumber: 160004),
                 filters: TableFilters(), migrations: [], schema: schema, data: data,
                 media: media.map { MediaSummary(index: $0, files: 1, bytes: 1, storedBytes: 1) },
                 sizes: SnapshotSizes(total: 0, stored: 0, data: 0, media: 0))
    }

    // MARK: object needs

    func testNeedsNameEverySnapshotOfEachObjectOnceWithItsRecordedSizesAndWhatItIs() {
        let one = snapshot("ug", "20260601T090000Z-aaaaaa", schema: artifact("schema.sql", Self.a, stored: 10),
                           data: [artifact("toc.dat", Self.b, stored: 20), artifact("3418.dat", Self.c, stored: 30, table: "public.orders")],
                           media: artifact("media-index.json", Self.d, stored: 40))
        // The same content stored anew at another size after the first record was written.
        let two = snapshot("qa", "20260602T090000Z-bbbbbb", schema: artifact("schema.sql", Self.a, stored: 10),
                           data: [artifact("toc.dat", Self.b, stored: 20), artifact("3419.dat", Self.c, stored: 31, table: "public.orders")])
        let media = [Self.d: [MediaEntry(path: "a.png", size: 5, mode: 0o644, sha256: Self.c, storedSize: 32),
                              MediaEntry(path: "old.txt", size: 1, mode: 0o644, sha256: "e1", storedSize: nil)]]
        let needs = ObjectNeeds(snapshots: [one, two], media: media)
        let names = [SnapshotName(profile: "qa", id: two.id), SnapshotName(profile: "ug", id: one.id)]
        XCTAssertEqual(needs.count, 5)
        XCTAssertEqual(needs.all.map(\.id), [Self.a, Self.b, Self.c, Self.d, "e1"])
        XCTAssertEqual(needs[Self.a]?.snapshots, Set(names))
        XCTAssertEqual(needs[Self.a]?.what, ["schema.sql"])
        XCTAssertEqual(needs[Self.c]?.recordedSizes, [30, 31, 32])
        XCTAssertEqual(needs[Self.c]?.what, ["3418.dat, data of public.orders", "3419.dat, data of public.orders", "media file a.png"])
        XCTAssertEqual(needs[Self.c]?.snapshots, Set(names))
        XCTAssertEqual(needs[Self.d]?.isIndex, true)
        XCTAssertEqual(needs[Self.d]?.snapshots, [names[1]])
        XCTAssertEqual(needs["e1"]?.recordedSizes, [], "an older index gives no stored size")
        XCTAssertEqual(needs["e1"]?.what, ["media file old.txt"])
        XCTAssertEqual(ObjectNeeds(snapshots: [one], media: [:]).count, 4, "an index that could not be read names no files")
    }

    // MARK: what is read

    private func entry(_ id: String, _ size: Int64) -> StoreEntry {
        StoreEntry(key: StoreLayout.objectKey(id), size: size, modified: Date(timeIntervalSince1970: 0))
    }

    func testReadPlanReadsWhatTheModeAsksPlusMarkedAndWrongSizedObjectsNeverMissingOnes() {
        var needs = ["1a", "2b", "3c", "4d", "5e", "6f"].map { ObjectNeed(id: $0, recordedSizes: [10]) }
        needs[5].isIndex = true
        needs[4].recordedSizes = []
        let stored = ["1a": entry("1a", 10), "2b": entry("2b", 9), "3c": entry("3c", 10), "5e": entry("5e", 77), "6f": entry("6f", 10)]
        let marked: Set<String> = ["3c", "4d"]

        let sizes = ReadPlan.choose(needs, stored: stored, marked: marked, reading: .sizes)
        XCTAssertEqual(sizes.read, ["2b", "3c"], "the wrong size and the marked one; 4d is missing; 5e has no recorded size")
        XCTAssertEqual(sizes.wrongSize, ["2b"])
        XCTAssertEqual(ReadPlan.choose(needs, stored: stored, marked: marked, reading: .all).read, ["1a", "2b", "3c", "5e"],
                       "every present object but the media index, read before")
        var offered: [String] = []
        let sample = ReadPlan.choose(needs, stored: stored, marked: [], reading: .sample(percent: 50)) { ids, count in
            offered = ids
            XCTAssertEqual(count, 2)
            return [ids[3]]
        }
        XCTAssertEqual(offered, ["1a", "2b", "3c", "5e"])
        XCTAssertEqual(sample.read, ["2b", "5e"])
    }

    func testSampleSizesRoundUp() {
        XCTAssertEqual(ReadPlan.sampleSize(of: 10, percent: 30), 3)
        XCTAssertEqual(ReadPlan.sampleSize(of: 10, percent: 31), 4)
        XCTAssertEqual(ReadPlan.sampleSize(of: 3, percent: 1), 1)
        XCTAssertEqual(ReadPlan.sampleSize(of: 7, percent: 100), 7)
        XCTAssertEqual(ReadPlan.sampleSize(of: 0, percent: 50), 0)
        XCTAssertEqual(ReadPlan.sampleSize(of: 100_000, percent: 0.001), 1)
    }

    func testReadingFlags() throws {
        XCTAssertEqual(try VerifyReading.parse(readData: false, sample: nil), .sizes)
        XCTAssertEqual(try VerifyReading.parse(readData: true, sample: nil), .all)
        XCTAssertEqual(try VerifyReading.parse(readData: false, sample: "12.5"), .sample(percent: 12.5))
        XCTAssertEqual(try VerifyReading.parse(readData: false, sample: "100"), .sample(percent: 100))
        XCTAssertEqual(try VerifyReading.parse(readData: false, sample: "5%"), .sample(percent: 5))
        for bad in ["0", "-1", "100.01", "", "x", "inf", "nan", "1e9"] {
            XCTAssertThrowsError(try VerifyReading.parse(readData: false, sample: bad), bad) {
                XCTAssertEqual(($0 as? DPMError)?.kind, .invalidInput)
                XCTAssertTrue($0.userMessage.hasPrefix("--sample takes the share of objects to read in percent"), $0.userMessage)
            }
        }
        XCTAssertThrowsError(try VerifyReading.parse(readData: true, sample: "10")) {
            XCTAssertEqual($0.userMessage, "--read-data reads every object and --sample a share of them; give one of the two.")
        }
    }

    func testTargetsAndMarkKeys() throws {
        XCTAssertEqual(try VerifySelection.Target("ug").reference, nil)
        XCTAssertEqual(try VerifySelection.Target("ug@contract-7").reference, "contract-7")
        XCTAssertEqual(try VerifySelection.Target("ug@a@b").reference, "a@b", "the rest is the reference's to refuse")
        XCTAssertThrowsError(try VerifySelection.Target("ug@"))
        XCTAssertThrowsError(try VerifySelection.Target("@x"))
        XCTAssertEqual(StoreLayout.damagedKey(Self.a), "damaged/\(Self.a).json")
        XCTAssertEqual(DamageMarks.id(of: "damaged/\(Self.a).json"), Self.a)
        for other in ["damaged/\(Self.a)", "damaged/x/\(Self.a).json", "damaged/ABC.json", "damaged/.json", "objects/aa/\(Self.a)"] {
            XCTAssertNil(DamageMarks.id(of: other), other)
        }
    }

    // MARK: the transfer

    func testAMarkedObjectIsStoredAnewEvenWithItsRecordedSizeAndLosesItsMark() throws {
        let store = MemoryStore()
        let transfer = ObjectTransfer(store: store, codec: IdentityCodec())
        let content = Data("the rows of a table\n".utf8)
        let stored = try transfer.storeData(content)
        let key = StoreLayout.objectKey(stored.sha256)
        var flipped = content
        flipped[3] ^= 1
        store.objects.withValue { $0[key] = flipped }
        let recorded = [stored.sha256: stored.storedSize]
        XCTAssertFalse(try transfer.storeData(content, recordedSizes: recorded).isNew, "by its size alone, the damaged copy is reused")
        XCTAssertEqual(store.objects.current[key], flipped)

        let mark = DamageMark(object: stored.sha256, problem: .corrupt, reason: "is corrupt: x", storedSize: 20, foundAt: "2026-06-01T09:00:00Z",
                              host: "h", tool: "dpm test", snapshots: [])
        try DamageMarks.write(mark, to: store)
        XCTAssertEqual(try DamageMarks.list(in: store), [stored.sha256])
        XCTAssertEqual(DamageMarks.read(stored.sha256, from: store), mark)
        let repairing = transfer.repairing(try DamageMarks.list(in: store))
        let again = try repairing.storeData(content, recordedSizes: recorded)
        XCTAssertTrue(again.isNew)
        XCTAssertEqual(again.replacedSize, Int64(flipped.count))
        XCTAssertEqual(store.objects.current[key], content)
        XCTAssertEqual(try DamageMarks.list(in: store), [], "removed once the new copy is in place")
        XCTAssertFalse(try repairing.storeData(content, recordedSizes: recorded).isNew, "put anew once, not for each artifact of that content")
    }

    func testTheStoredCopyIsReadFromTheStoreAndAFailingStoreIsNotDamage() throws {
        let store = MemoryStore()
        let transfer = ObjectTransfer(store: store, codec: IdentityCodec())
        let stored = try transfer.storeData(Data("content".utf8))
        XCTAssertEqual(try transfer.checkStoredCopy(of: stored.sha256), ObjectTransfer.StoredCopy(state: .intact, storedBytes: 7, contentBytes: 7))
        XCTAssertEqual(try transfer.checkStoredCopy(of: Self.a).state, .missing)
        store.objects.withValue { $0[StoreLayout.objectKey(stored.sha256)] = Data("contenT".utf8) }
        guard case .damaged(let reason) = try transfer.checkStoredCopy(of: stored.sha256).state else { return XCTFail("damaged") }
        XCTAssertTrue(reason.hasPrefix("its content hashes to "), reason)

        // A download that breaks is the store's failure, in its own words, for verify and restore alike.
        let failing = ObjectTransfer(store: BrokenReadStore(store), codec: IdentityCodec())
        XCTAssertThrowsError(try failing.checkStoredCopy(of: stored.sha256)) { XCTAssertEqual(($0 as? DPMError)?.kind, .unreachable) }
        XCTAssertThrowsError(try failing.fetchData(sha256: stored.sha256, what: "t")) {
            XCTAssertEqual(($0 as? DPMError)?.kind, .unreachable)
            XCTAssertEqual($0.userMessage, "The download was cut short.")
        }
    }

    // MARK: a whole run

    /// ug pins s1, qa pins s3; s2 is an older, unpinned record of ug. All share the schema.
    private func makeProject() throws -> (Workspace, MemoryStore, [Snapshot]) {
        let store = MemoryStore()
        let transfer = ObjectTransfer(store: store, codec: IdentityCodec())
        func object(_ text: String) throws -> String { try transfer.storeData(Data(text.utf8)).sha256 }
        func stored(_ path: String, _ text: String, table: String? = nil) throws -> Artifact {
            Artifact(path: path, sha256: try object(text), size: Int64(text.utf8.count), storedSize: Int64(text.utf8.count), table: table)
        }
        let schema = try stored("schema.sql", "CREATE TABLE t ();")
        let file = try object("a media file")
        let index = try stored("media-index.json", String(decoding: try CanonicalJSON.encode([MediaEntry(path: "m.txt", size: 12, mode: 0o644, sha256: file, storedSize: 12)]), as: UTF8.self))
        let records = [
            snapshot("ug", "20260601T090000Z-000001", schema: schema, data: [try stored("toc.dat", "toc 1"), try stored("1.dat", "rows 1", table: "public.t")], media: index),
            snapshot("ug", "20260501T090000Z-000002", schema: schema, data: [try stored("toc.dat", "toc 2"), try stored("1.dat", "rows 0", table: "public.t")]),
            snapshot("qa", "20260602T090000Z-000003", schema: schema, data: [try stored("toc.dat", "toc 3"), try stored("1.dat", "rows 1", table: "public.t")], media: index),
        ]
        let project = Project(root: "\(root!)/app", config: ProjectConfig())
        for name in ["ug", "qa", "clean-db", "empty"] {
            try FileManager.default.createDirectory(atPath: "\(root!)/app/profiles/\(name)", withIntermediateDirectories: true)
            try Data("kind: \(name == "clean-db" ? "clean" : "shared")\n".utf8).write(to: URL(fileURLWithPath: "\(root!)/app/profiles/\(name)/profile.yaml"))
        }
        for record in records {
            try store.put(StoreLayout.snapshotKey(profile: record.profile, id: record.id), from: DataReader(try CanonicalJSON.encode(record)))
        }
        try project.writeManifest(records[0], for: try ProfileName("ug"))
        try project.writeManifest(records[2], for: try ProfileName("qa"))
        let workspace = Workspace(project: project, store: store, codec: IdentityCodec(), toolVersion: "0.0.test",
                                  now: { Date(timeIntervalSince1970: 1_780_000_000) })
        return (workspace, store, records)
    }

    private func names(_ report: VerifyReport) -> [String] { report.snapshots.map { "\($0.profile)@\($0.id)\($0.pinned ? "*" : "")" } }

    func testARunOverAStoreInMemory() throws {
        let (workspace, store, records) = try makeProject()
        let verify = StoreVerification(workspace: workspace, host: "build-7")
        let pinned = try verify.run(VerifyRequest())
        XCTAssertTrue(pinned.intact)
        XCTAssertEqual(names(pinned), ["qa@20260602T090000Z-000003*", "ug@20260601T090000Z-000001*"])
        XCTAssertEqual(pinned.objectsChecked, 6, "schema, two tocs, one data file, the index and its media file")
        XCTAssertEqual(pinned.objectsRead, 1, "the media index, for its files")
        XCTAssertEqual(names(try verify.run(VerifyRequest(all: true))),
                       ["qa@20260602T090000Z-000003*", "ug@20260501T090000Z-000002", "ug@20260601T090000Z-000001*"])
        XCTAssertEqual(names(try verify.run(VerifyRequest(targets: ["ug@20260501"]))), ["ug@20260501T090000Z-000002"])
        XCTAssertEqual(names(try verify.run(VerifyRequest(targets: ["ug", "ug@20260601"]))), ["ug@20260601T090000Z-000001*"], "each once")
        let read = try verify.run(VerifyRequest(targets: ["ug"], all: true, reading: .all))
        XCTAssertEqual(read.objectsRead, read.objectsChecked)
        XCTAssertEqual(read.bytesRead, read.contentBytesRead, "the identity codec stores content as it is")

        // A damaged data file shared by both pinned snapshots, and the old record's missing one.
        let shared = records[0].data[1].sha256
        store.objects.withValue { $0[StoreLayout.objectKey(shared)] = Data("rows X".utf8) }
        try store.delete(StoreLayout.objectKey(records[1].data[1].sha256))
        XCTAssertTrue(try verify.run(VerifyRequest()).intact, "same size: only reading can tell")
        let found = try verify.run(VerifyRequest(reading: .all))
        XCTAssertEqual(found.problems.count, 1)
        XCTAssertEqual(found.problems[0].object, shared)
        XCTAssertEqual(found.problems[0].snapshots.map(\.description), ["qa@20260602T090000Z-000003", "ug@20260601T090000Z-000001"])
        XCTAssertEqual(found.problems[0].what, ["1.dat, data of public.t"])
        XCTAssertEqual(found.marked, [shared])
        XCTAssertEqual(DamageMarks.read(shared, from: store)?.host, "build-7")
        XCTAssertEqual(DamageMarks.read(shared, from: store)?.foundAt, "2026-05-28T20:26:40Z")
        XCTAssertEqual(DamageMarks.read(shared, from: store)?.tool, "dpm 0.0.test")
        let all = try verify.run(VerifyRequest(all: true))
        XCTAssertEqual(Dictionary(uniqueKeysWithValues: all.problems.map { ($0.object, $0.problem) }),
                       [shared: .corrupt, records[1].data[1].sha256: .missing], "the marked one is read by the size check too")

        // Put back: the marks go as the objects are read intact.
        store.objects.withValue { $0[StoreLayout.objectKey(shared)] = Data("rows 1".utf8) }
        store.objects.withValue { $0[StoreLayout.objectKey(records[1].data[1].sha256)] = Data("rows 0".utf8) }
        let healed = try verify.run(VerifyRequest(all: true))
        XCTAssertTrue(healed.intact)
        XCTAssertEqual(Set(healed.marksRemoved), [shared, records[1].data[1].sha256])
        XCTAssertEqual(try DamageMarks.list(in: store), [])
    }

    func testRefusalsOfARunLeaveTheStoreAsItWas() throws {
        let (workspace, store, _) = try makeProject()
        let verify = StoreVerification(workspace: workspace, host: "h")
        let before = store.objects.current
        let refusals: [(VerifyRequest, String)] = [
            (VerifyRequest(targets: ["nosuch"]), "There is no profile \"nosuch\" (known profiles: clean-db, empty, qa, ug)."),
            (VerifyRequest(targets: ["empty"]), "The profile empty pins no snapshot"),
            (VerifyRequest(targets: ["empty"], all: true), "has no snapshots of empty"),
            (VerifyRequest(targets: ["clean-db"]), "The clean profile clean-db lives in git"),
            (VerifyRequest(targets: ["ug@20270101"]), "has no snapshot of profile ug whose id begins with 20270101"),
            (VerifyRequest(targets: ["ug@2026"]), "\"2026\" is the beginning of 2 snapshots of ug"),
            (VerifyRequest(targets: ["ug@x"], all: true), "--all verifies every snapshot of the profiles given"),
        ]
        for (request, sentence) in refusals {
            XCTAssertThrowsError(try verify.run(request), sentence) { XCTAssertTrue($0.userMessage.contains(sentence), $0.userMessage) }
        }
        XCTAssertEqual(store.objects.current, before)

        let empty = Workspace(project: workspace.project, store: MemoryStore(), codec: IdentityCodec(), toolVersion: "t")
        XCTAssertThrowsError(try StoreVerification(workspace: empty).run(VerifyRequest(all: true))) {
            XCTAssertEqual(($0 as? DPMError)?.kind, .notFound)
            XCTAssertTrue($0.userMessage.hasPrefix("The store memory holds no snapshots, so there is nothing to verify"), $0.userMessage)
        }
    }
}

/// A store whose downloads break after their first bytes.
private struct BrokenReadStore: ObjectStore {
    let inner: MemoryStore
    init(_ inner: MemoryStore) { self.inner = inner }
    var displayName: String { "broken" }

    func put(_ key: String, from source: ByteReader, expectedSHA256: String?, overwrite: Bool,
             verify: (@Sendable (ByteReader) throws -> Void)?) throws -> StoredBytes {
        try inner.put(key, from: source, expectedSHA256: expectedSHA256, overwrite: overwrite, verify: verify)
    }

    func open(_ key: String) throws -> ByteReader { BrokenReader(try inner.open(key)) }
    func storedSize(_ key: String) throws -> Int64? { try inner.storedSize(key) }
    func entries(prefix: String) throws -> [StoreEntry] { try inner.entries(prefix: prefix) }
    func delete(_ key: String) throws { try inner.delete(key) }

    private final class BrokenReader: ByteReader {
        let source: ByteReader
        var calls = 0
        init(_ source: ByteReader) { self.source = source }
        func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
            calls += 1
            if calls > 1 { throw DPMError.unreachable("The download was cut short.") }
            return try source.read(into: UnsafeMutableRawBufferPointer(rebasing: buffer[0..<min(2, buffer.count)]))
        }
    }
}
