import DatasetKit
import Foundation
import ObjectStore
import XCTest

/// dpm verify through the real binary against a `file:` store (and moto, and an encrypted
/// store): what each mode finds, the marks it leaves, and the upload that heals them.
final class VerifyTests: XCTestCase {
    private var harness: Harness!

    override func setUpWithError() throws {
        harness = try Harness()
        // Objects damaged, removed and counted one by one (PackTests does it to packs).
        harness.environment = Harness.unpacked
    }
    override func tearDown() { harness?.tearDown() }

    // MARK: shared steps (also used by the S3 and encrypted tests)

    /// ug and qa uploaded from the same database and media, so that their pinned snapshots
    /// share every object but their dumps' tables of contents (toc.dat holds the dump's time).
    struct Shared {
        var ug: Snapshot
        var qa: Snapshot
        var names: [SnapshotName] { [SnapshotName(profile: "qa", id: qa.id), SnapshotName(profile: "ug", id: ug.id)] }
    }

    static func uploadShared(in harness: Harness, environment: [String: String] = [:], media: Bool = true) throws -> Shared {
        if media { try Fixture.createMedia(in: harness) }
        var pinned: [Snapshot] = []
        for profile in ["ug", "qa"] {
            XCTAssertEqual(harness.dpm("profile", "create", profile, "--kind", "shared").status, 0)
            let upload = harness.dpm(["upload", profile], environment: environment)
            XCTAssertEqual(upload.status, 0, upload.stderr)
            pinned.append(try manifest(profile, in: harness))
        }
        let toc = pinned.map { snapshot in snapshot.data.first { $0.path == "toc.dat" }?.sha256 ?? "" }
        XCTAssertEqual(Set(pinned[0].objectHashes).subtracting([toc[0]]), Set(pinned[1].objectHashes).subtracting([toc[1]]),
                       "the two snapshots share every object but toc.dat")
        return Shared(ug: pinned[0], qa: pinned[1])
    }

    static func manifest(_ profile: String, in harness: Harness) throws -> Snapshot {
        try CanonicalJSON.decode(Snapshot.self, from: XCTUnwrap(harness.read("profiles/\(profile)/manifest.json")), what: "manifest")
    }

    /// Runs dpm verify --json, expecting `status`; the report it printed.
    @discardableResult
    static func verify(_ arguments: [String], in harness: Harness, environment: [String: String] = [:], status: Int32,
                       file: StaticString = #filePath, line: UInt = #line) throws -> VerifyReport {
        let run = harness.dpm(["verify", "--json"] + arguments, environment: environment)
        XCTAssertEqual(run.status, status, "exit status of verify \(arguments): \(run.stderr)", file: file, line: line)
        if status == 0 {
            XCTAssertEqual(run.stderr, "", file: file, line: line)
        } else {
            XCTAssertTrue(run.stderr.hasPrefix("error: In "), run.stderr, file: file, line: line)
            XCTAssertEqual(run.stderr.filter { $0 == "\n" }.count, 1, "one sentence: \(run.stderr)", file: file, line: line)
        }
        return try JSONDecoder().decode(VerifyReport.self, from: Data(run.stdout.utf8))
    }

    /// Flips one byte in the middle of an object, keeping its size.
    static func flipByte(of id: String, in store: ObjectStore) throws {
        var bytes = try store.open(StoreLayout.objectKey(id)).readAll()
        bytes[bytes.count / 2] ^= 0x5A
        try store.put(StoreLayout.objectKey(id), from: DataReader(bytes))
    }

    static func mark(_ id: String, in store: ObjectStore) throws -> DamageMark? {
        guard try store.exists(StoreLayout.damagedKey(id)) else { return nil }
        return try CanonicalJSON.decode(DamageMark.self, from: store.open(StoreLayout.damagedKey(id)).readAll(), what: "mark")
    }

    /// The whole life of a flipped byte: the size check cannot see it, --read-data finds it and
    /// names both snapshots, the mark makes every later check (and restore) read it, and the next
    /// upload of the same content stores it anew and takes the mark away.
    /// With `warmCache`, a restore first fills the download cache with verified copies: verify
    /// must still read the store's own bytes, while restore takes the cached copy.
    static func flippedByteIsFoundMarkedAndHealed(in harness: Harness, store: ObjectStore, environment: [String: String] = [:],
                                                  warmCache: Bool = false) throws {
        let shared = try uploadShared(in: harness, environment: environment)
        let target = harness.prefix + "_copy"
        if warmCache {
            XCTAssertEqual(harness.dpm(["restore", "ug", "--into", target], environment: environment).status, 0)
            try harness.psql("DROP DATABASE \"\(target)\"", in: "postgres")
        }
        let intact = try verify(["--read-data"], in: harness, environment: environment, status: 0)
        XCTAssertEqual(intact.snapshots.map { SnapshotName(profile: $0.profile, id: $0.id) }, shared.names)
        XCTAssertEqual(intact.snapshots.map(\.pinned), [true, true])
        XCTAssertEqual(intact.objectsChecked, intact.objectsRead)
        let mediaFiles = try FileManager.default.subpathsOfDirectory(atPath: harness.media).compactMap { path -> String? in
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: "\(harness.media)/\(path)", isDirectory: &isDirectory), !isDirectory.boolValue else { return nil }
            return SHA256Hex.of(try Data(contentsOf: URL(fileURLWithPath: "\(harness.media)/\(path)")))
        }
        XCTAssertEqual(intact.objectsChecked, Set(shared.ug.objectHashes + shared.qa.objectHashes + mediaFiles).count,
                       "schema, data files, media index and media files")
        XCTAssertTrue(intact.problems.isEmpty && intact.unreadable.isEmpty && intact.marked.isEmpty)

        let orders = try XCTUnwrap(shared.ug.data.first { $0.table == "public.orders" })
        let before = try store.open(StoreLayout.objectKey(orders.sha256)).readAll()
        try flipByte(of: orders.sha256, in: store)
        let sizes = try verify([], in: harness, environment: environment, status: 0)
        XCTAssertTrue(sizes.problems.isEmpty, "the size check cannot see a flipped byte")
        XCTAssertEqual(sizes.objectsRead, 1, "only the media index is read")

        let found = try verify(["--read-data"], in: harness, environment: environment, status: 2)
        XCTAssertEqual(found.problems.count, 1)
        let problem = try XCTUnwrap(found.problems.first)
        XCTAssertEqual(problem.object, orders.sha256)
        XCTAssertEqual(problem.problem, .corrupt)
        XCTAssertTrue(problem.reason.hasPrefix("is corrupt: it"), problem.reason)
        XCTAssertEqual(problem.what, ["\(orders.path), data of public.orders"])
        XCTAssertEqual(problem.snapshots, shared.names, "both snapshots that share it")
        XCTAssertEqual(problem.storedSize, orders.storedSize)
        XCTAssertEqual(found.marked, [orders.sha256])
        let mark = try XCTUnwrap(try self.mark(orders.sha256, in: store))
        XCTAssertEqual(mark.problem, .corrupt)
        XCTAssertEqual(mark.snapshots, shared.names)
        XCTAssertEqual(mark.host, ProcessInfo.processInfo.hostName)
        XCTAssertTrue(mark.tool.hasPrefix("dpm "))

        // Marked, it is read even by the size check, and restore refuses it before building anything.
        let marked = try verify(["ug"], in: harness, environment: environment, status: 2)
        XCTAssertEqual(marked.problems.map(\.object), [orders.sha256])
        XCTAssertEqual(marked.problems.first?.snapshots, [SnapshotName(profile: "ug", id: shared.ug.id)], "only the snapshot asked about")
        XCTAssertEqual(marked.objectsRead, 2)
        let restore = harness.dpm(["restore", "ug", "--into", target], environment: environment)
        if warmCache {
            XCTAssertEqual(restore.status, 0, "the cached copy was verified when it was downloaded, and is again as it is read: \(restore.stderr)")
            try harness.psql("DROP DATABASE \"\(target)\"", in: "postgres")
        } else {
            XCTAssertNotEqual(restore.status, 0)
            XCTAssertTrue(restore.stderr.contains("object \(orders.sha256) (\(orders.path), data of public.orders) does not verify"), restore.stderr)
            XCTAssertTrue(restore.stderr.contains("dpm verify marked it damaged on \(mark.foundAt), and uploading the same content again stores it anew"),
                          restore.stderr)
            XCTAssertFalse(try harness.databaseExists(target))
        }

        // The next upload of the same content stores it anew (its size alone would have kept it) and removes the mark.
        let upload = harness.dpm(["upload", "ug"], environment: environment)
        XCTAssertEqual(upload.status, 0, upload.stderr)
        XCTAssertTrue(upload.stderr.contains("object \(orders.sha256) was damaged"), upload.stderr)
        XCTAssertNil(try self.mark(orders.sha256, in: store))
        XCTAssertEqual(try store.open(StoreLayout.objectKey(orders.sha256)).readAll(), before, "zstd at the same level writes the same bytes")
        let healed = try verify(["--read-data", "--all"], in: harness, environment: environment, status: 0)
        XCTAssertEqual(healed.snapshotsChecked, 3)
        XCTAssertTrue(healed.problems.isEmpty && healed.marked.isEmpty && healed.marksRemoved.isEmpty)
        XCTAssertEqual(harness.dpm(["restore", "ug", "--into", target], environment: environment).status, 0)
        XCTAssertEqual(try harness.contentDigest(of: target), try harness.contentDigest())
    }

    // MARK: file: store

    func testAFlippedByteIsFoundByReadingNamesBothSnapshotsAndTheNextUploadHealsIt() throws {
        try Fixture.create(in: harness)
        try Self.flippedByteIsFoundMarkedAndHealed(in: harness, store: try LocalStoreAccess.open(harness.store))
    }

    func testTextReportAndAMarkFoundIntactAgainIsRemoved() throws {
        try Fixture.create(in: harness)
        let shared = try Self.uploadShared(in: harness)
        let store = try LocalStoreAccess.open(harness.store)
        let text = harness.dpm("verify")
        XCTAssertEqual(text.status, 0, text.stderr)
        XCTAssertTrue(text.stdout.hasPrefix("Verified 2 snapshots in file://\(harness.store): every object checked by its stored size.\n"), text.stdout)
        XCTAssertTrue(text.stdout.contains("Snapshots:  qa@\(shared.qa.id) (pinned), ug@\(shared.ug.id) (pinned)\n"), text.stdout)
        XCTAssertTrue(text.stdout.contains(" read in full\nRead:       "), text.stdout)
        XCTAssertTrue(text.stdout.contains(" stored ("), text.stdout)
        XCTAssertTrue(text.stdout.hasSuffix("objects are intact.\n"), text.stdout)

        let audit = try XCTUnwrap(shared.ug.data.first { $0.table == "public.audit_log" })
        let original = try store.open(StoreLayout.objectKey(audit.sha256)).readAll()
        try Self.flipByte(of: audit.sha256, in: store)
        let found = harness.dpm("verify", "--read-data", "qa")
        XCTAssertEqual(found.status, 2)
        XCTAssertTrue(found.stdout.contains("\n\nobject \(audit.sha256) (\(audit.path), data of public.audit_log) is corrupt: "), found.stdout)
        XCTAssertTrue(found.stdout.contains("\n  needed by qa@\(shared.qa.id)\n"), found.stdout)
        XCTAssertTrue(found.stdout.contains("Marked 1 object damaged in the store (damaged/<id>.json): the next upload of the same content stores it anew.\n"),
                      found.stdout)
        XCTAssertEqual(found.stderr, "error: In file://\(harness.store), 1 object needed by 1 snapshot is missing or damaged (see the report); uploading the same content again stores it anew.\n")

        // Put back by hand (from a backup): the next verify reads the marked object, finds it intact and removes the mark.
        try store.put(StoreLayout.objectKey(audit.sha256), from: DataReader(original))
        let again = harness.dpm("verify")
        XCTAssertEqual(again.status, 0, again.stderr)
        XCTAssertTrue(again.stdout.contains("1 object marked damaged before was read intact; its mark was removed.\n"), again.stdout)
        XCTAssertNil(try Self.mark(audit.sha256, in: store))
    }

    func testMissingTruncatedAndDamagedMediaObjects() throws {
        try Fixture.create(in: harness)
        let shared = try Self.uploadShared(in: harness)
        let store = try LocalStoreAccess.open(harness.store)
        let schema = shared.ug.schema.sha256
        let orders = try XCTUnwrap(shared.ug.data.first { $0.table == "public.orders" })
        let photo = SHA256Hex.of(try Data(contentsOf: URL(fileURLWithPath: "\(harness.media)/attachments/photo.bin")))
        let photoSize = try XCTUnwrap(try store.storedSize(StoreLayout.objectKey(photo)))
        try store.delete(StoreLayout.objectKey(schema))
        XCTAssertEqual(truncate("\(harness.store)/\(StoreLayout.objectKey(orders.sha256))", 10), 0)
        try Self.flipByte(of: photo, in: store)

        // By size: the missing schema and the truncated data file, each marked; the media file's flipped byte is not seen.
        let sizes = try Self.verify([], in: harness, status: 2)
        XCTAssertEqual(sizes.problems.map(\.object), [schema, orders.sha256].sorted())
        let missing = try XCTUnwrap(sizes.problems.first { $0.object == schema })
        XCTAssertEqual(missing.problem, .missing)
        XCTAssertEqual(missing.reason, "is missing")
        XCTAssertNil(missing.storedSize)
        XCTAssertEqual(missing.what, ["schema.sql"])
        XCTAssertEqual(missing.snapshots, shared.names)
        let truncated = try XCTUnwrap(sizes.problems.first { $0.object == orders.sha256 })
        XCTAssertEqual(truncated.problem, .wrongSize)
        XCTAssertTrue(truncated.reason.hasPrefix("has 10 bytes where its records give \(orders.storedSize), and "), truncated.reason)
        XCTAssertEqual(truncated.storedSize, 10)
        XCTAssertEqual(truncated.recordedSizes, [orders.storedSize])
        XCTAssertLessThan(sizes.bytesRead, 4096, "the media index and the 10 bytes, nothing else")
        XCTAssertEqual(Set(sizes.marked), [schema, orders.sha256])
        XCTAssertEqual(try Self.mark(schema, in: store)?.problem, .missing)
        XCTAssertEqual(try Self.mark(orders.sha256, in: store)?.storedSize, 10)

        // Reading finds the media file too, named by its path.
        let read = try Self.verify(["--read-data"], in: harness, status: 2)
        XCTAssertEqual(read.problems.map(\.object), [schema, orders.sha256, photo].sorted())
        let media = try XCTUnwrap(read.problems.first { $0.object == photo })
        XCTAssertEqual(media.problem, .corrupt)
        XCTAssertEqual(media.what, ["media file attachments/photo.bin"])
        XCTAssertEqual(media.recordedSizes, [photoSize])
        XCTAssertEqual(media.snapshots, shared.names)

        // Without its media index, a snapshot's media files cannot be checked: said per snapshot.
        let index = try XCTUnwrap(shared.ug.media?.index.sha256)
        try store.delete(StoreLayout.objectKey(index))
        let noIndex = try Self.verify(["ug"], in: harness, status: 2)
        XCTAssertEqual(noIndex.problems.first { $0.object == index }?.problem, .missing)
        XCTAssertEqual(noIndex.problems.first { $0.object == index }?.what, ["media index"])
        XCTAssertEqual(noIndex.unreadable.map(\.reason), ["Its media index \(index) cannot be read, so its media files were not checked."])
        XCTAssertFalse(noIndex.problems.contains { $0.object == photo }, "its files are not known")

        // One upload stores all of them anew, and every mark goes.
        let upload = harness.dpm("upload", "ug")
        XCTAssertEqual(upload.status, 0, upload.stderr)
        XCTAssertEqual(try DamageMarks.list(in: store), [])
        try Self.verify(["--read-data", "--all"], in: harness, status: 0)
    }

    func testAllIncludesUnpinnedRecordsAndASampleReadsAShare() throws {
        try Fixture.create(in: harness)
        let shared = try Self.uploadShared(in: harness)
        let store = try LocalStoreAccess.open(harness.store)
        try harness.psql("INSERT INTO audit_log (entry) VALUES ('second upload')")
        Thread.sleep(forTimeInterval: 1.05) // ids order snapshots by the second they were made in
        XCTAssertEqual(harness.dpm("upload", "ug", "--tag", "second").status, 0)
        let second = try Self.manifest("ug", in: harness)
        let old = try XCTUnwrap(shared.ug.data.first { $0.table == "public.audit_log" })
        XCTAssertFalse(second.data.contains { $0.sha256 == old.sha256 }, "only the first ug snapshot and qa's need the old audit_log data")

        let all = try Self.verify(["--all"], in: harness, status: 0)
        XCTAssertEqual(all.snapshots.map(\.id), [shared.qa.id, shared.ug.id, second.id])
        XCTAssertEqual(all.snapshots.map(\.pinned), [true, false, true])
        XCTAssertEqual(try Self.verify(["ug", "--all"], in: harness, status: 0).snapshots.map(\.id), [shared.ug.id, second.id])

        let oldBytes = try store.open(StoreLayout.objectKey(old.sha256)).readAll()
        try store.delete(StoreLayout.objectKey(old.sha256))
        let pinned = try Self.verify(["ug"], in: harness, status: 0)
        XCTAssertEqual(pinned.snapshots.map(\.id), [second.id], "the pinned snapshot does not need it")
        let found = try Self.verify(["ug", "--all"], in: harness, status: 2)
        XCTAssertEqual(found.problems.map(\.object), [old.sha256])
        XCTAssertEqual(found.problems.first?.snapshots, [SnapshotName(profile: "ug", id: shared.ug.id)])
        let everything = try Self.verify(["--all"], in: harness, status: 2)
        XCTAssertEqual(everything.problems.first?.snapshots, [SnapshotName(profile: "qa", id: shared.qa.id), SnapshotName(profile: "ug", id: shared.ug.id)])
        let byID = try Self.verify(["ug@\(String(shared.ug.id.prefix(21)))", "ug@second"], in: harness, status: 2)
        XCTAssertEqual(byID.snapshots.map(\.id), [shared.ug.id, second.id])
        XCTAssertEqual(byID.problems.first?.snapshots, [SnapshotName(profile: "ug", id: shared.ug.id)])
        // Put back (the content is no longer in the database to upload): the next verify reads the marked object and removes its mark.
        try store.put(StoreLayout.objectKey(old.sha256), from: DataReader(oldBytes))
        XCTAssertEqual(try Self.verify(["--all"], in: harness, status: 0).marksRemoved, [old.sha256])

        // --sample 100 reads what --read-data reads; a small sample reads less (and at least one object).
        let full = try Self.verify(["--all", "--read-data"], in: harness, status: 0)
        let hundred = try Self.verify(["--all", "--sample", "100"], in: harness, status: 0)
        XCTAssertEqual(full.objectsRead, full.objectsChecked)
        XCTAssertEqual(hundred.objectsRead, full.objectsRead)
        XCTAssertEqual(hundred.bytesRead, full.bytesRead)
        XCTAssertEqual(hundred.contentBytesRead, full.contentBytesRead)
        XCTAssertEqual(hundred.reading, "sample")
        XCTAssertEqual(hundred.samplePercent, 100)
        let small = try Self.verify(["--all", "--sample", "1"], in: harness, status: 0)
        XCTAssertEqual(small.objectsChecked, full.objectsChecked)
        XCTAssertEqual(small.objectsRead, 2, "one object of the sample and the media index all three snapshots share")
        XCTAssertLessThan(small.bytesRead, full.bytesRead)
        XCTAssertGreaterThan(full.megabytesPerSecond, 0)
    }

    func testRefusals() throws {
        try Fixture.create(in: harness)
        // An empty store, whatever is asked.
        for arguments in [["verify"], ["verify", "--all"], ["verify", "--read-data"]] {
            try harness.assertRefused(arguments, says: "The store file://\(harness.store) holds no snapshots, so there is nothing to verify")
        }
        _ = try Self.uploadShared(in: harness, media: false)
        XCTAssertEqual(harness.dpm("profile", "create", "nopin", "--kind", "shared").status, 0)
        let refusals: [([String], String)] = [
            (["verify", "nosuch"], "There is no profile \"nosuch\" (known profiles: clean-db, nopin, qa, ug)."),
            (["verify", "Bad"], "\"Bad\" is not a valid profile name"),
            (["verify", "nopin"], "The profile nopin pins no snapshot (profiles/nopin/manifest.json does not exist); upload one with \"dpm upload nopin\", or name one: dpm verify nopin@SNAPSHOT."),
            (["verify", "nopin", "--all"], "has no snapshots of nopin"),
            (["verify", "clean-db"], "The clean profile clean-db lives in git, not in the store, so there is nothing of it to verify."),
            (["verify", "ug@20200101T000000Z-abcdef"], "has no snapshot 20200101T000000Z-abcdef of profile ug"),
            (["verify", "ug@nosuchtag"], "has no tag nosuchtag of profile ug"),
            (["verify", "ug@"], "\"ug@\" names no snapshot after the @"),
            (["verify", "ug@2026x"], "\"2026x\" is neither a snapshot id"),
            (["verify", "ug@nosuchtag", "--all"], "--all verifies every snapshot of the profiles given"),
            (["verify", "--sample", "0"], "--sample takes the share of objects to read in percent, more than 0 and at most 100 (like --sample 10), not \"0\"."),
            (["verify", "--sample", "100.5"], "not \"100.5\""),
            (["verify", "--sample=-5"], "not \"-5\""),
            (["verify", "--sample", "ten"], "not \"ten\""),
            (["verify", "--sample", "nan"], "not \"nan\""),
            (["verify", "--sample", "10", "--read-data"], "--read-data reads every object and --sample a share of them; give one of the two."),
        ]
        for (arguments, sentence) in refusals {
            let run = try harness.assertRefused(arguments, says: sentence)
            XCTAssertEqual(run.status, 1, "\(arguments)")
        }
        // Nothing pinned in a project whose store has snapshots (of another checkout).
        for profile in ["ug", "qa"] { try FileManager.default.removeItem(atPath: "\(harness.root)/profiles/\(profile)/manifest.json") }
        try harness.assertRefused(["verify"], says: "No profile of this project pins a snapshot in its manifest; name one (dpm verify PROFILE@SNAPSHOT), or verify every snapshot in the store with dpm verify --all.")
        try Self.verify(["--all"], in: harness, status: 0)
    }

    func testARecordTheStoreLacksOrCannotReadIsReported() throws {
        try Fixture.create(in: harness)
        let shared = try Self.uploadShared(in: harness, media: false)
        let store = try LocalStoreAccess.open(harness.store)
        try store.put(StoreLayout.snapshotKey(profile: "qa", id: shared.qa.id), from: DataReader(Data("{ not json".utf8)))
        try store.delete(StoreLayout.snapshotKey(profile: "ug", id: shared.ug.id))
        let report = try Self.verify([], in: harness, status: 2)
        XCTAssertEqual(report.snapshotsChecked, 0)
        XCTAssertEqual(report.unreadable.map(\.profile), ["qa", "ug"])
        XCTAssertTrue(report.unreadable[0].reason.hasPrefix("The snapshot record snapshots/qa/\(shared.qa.id).json is malformed"), report.unreadable[0].reason)
        XCTAssertEqual(report.unreadable[1].reason, "profiles/ug/manifest.json pins snapshot \(shared.ug.id), which the store file://\(harness.store) does not have.")
        XCTAssertTrue(report.problems.isEmpty && report.marked.isEmpty)
    }

    // MARK: an encrypted store

    func testAnEncryptedStoreIsReadOpenedAndChecked() throws {
        let F = EncryptedStoreFixture.self
        try F.createSource(in: harness)
        let alice = try F.person("alice", in: harness)
        XCTAssertEqual(harness.dpm("key", "add", alice.recipient).status, 0)
        let shared = try Self.uploadShared(in: harness, environment: alice.environment, media: false)
        XCTAssertEqual(shared.ug.objectIDs, "hmac-sha256")
        let report = try Self.verify(["--read-data"], in: harness, environment: alice.environment, status: 0)
        XCTAssertEqual(report.objectsRead, report.objectsChecked)
        XCTAssertGreaterThan(report.contentBytesRead, 0)

        let accounts = try XCTUnwrap(shared.ug.data.first { $0.table == "public.accounts" })
        let store = try LocalStoreAccess.open(harness.store)
        try Self.flipByte(of: accounts.sha256, in: store)
        let found = try Self.verify(["--read-data"], in: harness, environment: alice.environment, status: 2)
        XCTAssertEqual(found.problems.map(\.object), [accounts.sha256])
        XCTAssertTrue(found.problems[0].reason.hasPrefix("is corrupt: it fails authentication in chunk"), found.problems[0].reason)
        XCTAssertEqual(found.problems[0].snapshots, shared.names)
        XCTAssertEqual(harness.dpm(["upload", "ug"], environment: alice.environment).status, 0)
        XCTAssertEqual(try DamageMarks.list(in: store), [])
        try Self.verify(["--read-data", "--all"], in: harness, environment: alice.environment, status: 0)

        // Without an identity that opens the store, verify refuses before it checks (or marks) anything.
        let eve = try F.person("eve", in: harness)
        try harness.assertRefused(["verify", "--read-data"], environment: eve.environment, says: "Your identity (\(eve.recipient)) cannot open the store")
    }
}
