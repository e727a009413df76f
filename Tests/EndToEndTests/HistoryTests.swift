import DatasetKit
import Foundation
import XCTest

/// dpm log, pin and tag through the real binary, in a project that is a git repository with
/// a commit of the manifest after each upload, against a file: store (and S3 in S3HistoryTests).
final class HistoryTests: XCTestCase {
    private var harness: Harness!

    override func setUpWithError() throws { harness = try Harness() }
    override func tearDown() { harness?.tearDown() }

    /// Three uploads of ug, each committed: the second changes a table and is tagged, the third adds a media file.
    struct History {
        var ids: [String] = []
        var digests: [String] = []
        var media: [[String: String]] = []
        var records: [Snapshot] = []
    }

    @discardableResult
    private func git(_ arguments: String...) throws -> String { try Self.git(arguments, in: harness) }

    @discardableResult
    static func git(_ arguments: [String], in harness: Harness) throws -> String {
        let run = harness.command("git", ["-c", "user.email=tests@example.com", "-c", "user.name=dpm tests"] + arguments)
        guard run.status == 0 else { throw DPMError.internal("git \(arguments.joined(separator: " ")) failed: \(run.stderr)") }
        return run.stdout
    }

    @discardableResult
    private func dpmOK(_ arguments: String..., environment: [String: String] = [:]) throws -> Harness.Run {
        let run = harness.dpm(arguments, environment: environment)
        guard run.status == 0 else { throw DPMError.internal("dpm \(arguments.joined(separator: " ")) failed: \(run.stderr)") }
        return run
    }

    private func manifest() throws -> Snapshot {
        try CanonicalJSON.decode(Snapshot.self, from: XCTUnwrap(harness.read("profiles/ug/manifest.json")), what: "manifest")
    }

    private func makeHistory() throws -> History { try Self.makeHistory(in: harness) }

    static func makeHistory(in harness: Harness, environment: [String: String] = [:]) throws -> History {
        let git = { (arguments: [String]) in _ = try Self.git(arguments, in: harness) }
        try Fixture.create(in: harness)
        try Fixture.createMedia(in: harness)
        XCTAssertEqual(harness.dpm("profile", "create", "ug", "--kind", "shared").status, 0)
        try git(["init", "-q"])
        try git(["add", "-A"])
        try git(["commit", "-q", "-m", "the app"])
        var history = History()
        for (number, message) in ["first", "second", "third"].enumerated() {
            if number == 1 { try harness.psql("INSERT INTO audit_log (entry) VALUES ('second upload')") }
            if number == 2 { try harness.write("new in the third", to: "media/third.txt") }
            let tag = number == 1 ? ["--tag", "release-2"] : []
            let upload = harness.dpm(["upload", "ug", "-m", message] + tag, environment: environment)
            XCTAssertEqual(upload.status, 0, upload.stderr)
            let pinned = try CanonicalJSON.decode(Snapshot.self, from: XCTUnwrap(harness.read("profiles/ug/manifest.json")), what: "manifest")
            history.ids.append(pinned.id)
            history.records.append(pinned)
            history.digests.append(try harness.contentDigest())
            history.media.append(Fixture.mediaFingerprint(harness.media))
            try git(["add", "-A"])
            try git(["commit", "-q", "-m", "ug: \(message) upload"])
            // Ids order snapshots by the second they were made in; within one second only by their random part.
            Thread.sleep(forTimeInterval: 1.05)
        }
        XCTAssertEqual(Set(history.ids).count, 3)
        return history
    }

    private func log(environment: [String: String] = [:]) throws -> ProfileHistory {
        let run = try dpmOK("log", "ug", "--json", environment: environment)
        XCTAssertEqual(run.stderr, "", "nothing to say on stderr")
        return try JSONDecoder().decode(ProfileHistory.self, from: Data(run.stdout.utf8))
    }

    /// Bytes of every object in the file store: what its three records hold together.
    /// The bytes of the store's objects, less the packs' own indexes (which no record names).
    private func storedObjectBytes() -> Int64 {
        let objects = "\(harness.store)/objects"
        return (FileManager.default.subpaths(atPath: objects) ?? []).reduce(0) { sum, path in
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: "\(objects)/\(path)", isDirectory: &isDirectory), !isDirectory.boolValue else { return sum }
            let bytes = FileManager.default.contents(atPath: "\(objects)/\(path)") ?? Data()
            guard let members = try? PackFormat.members(of: bytes, what: path) else { return sum + Int64(bytes.count) }
            return sum + members.reduce(0) { $0 + $1.storedSize }
        }
    }

    func testLogShowsEveryUploadWithItsTagsSizesAndCommits() throws {
        let history = try makeHistory()
        let log = try log()
        XCTAssertEqual(log.profile, "ug")
        XCTAssertEqual(log.pinned, history.ids[2])
        XCTAssertEqual(log.snapshots.map(\.id), history.ids.reversed(), "newest first")
        XCTAssertEqual(log.snapshots.map(\.message), ["third", "second", "first"])
        XCTAssertEqual(log.snapshots.map(\.pinned), [true, false, false])
        XCTAssertEqual(log.snapshots.map(\.tags), [[], ["release-2"], []])
        XCTAssertEqual(log.snapshots.map { $0.commits.map(\.subject) }, [["ug: third upload"], ["ug: second upload"], ["ug: first upload"]])
        let head = try git("rev-parse", "HEAD").trimmingCharacters(in: .whitespacesAndNewlines)
        XCTAssertEqual(log.snapshots[0].commits.first?.commit, head)
        XCTAssertEqual(log.snapshots[0].commits.first?.author, "dpm tests")
        for (entry, record) in zip(log.snapshots, history.records.reversed()) {
            XCTAssertEqual(entry.createdAt, record.createdAt)
            XCTAssertEqual(entry.size, record.sizes.total)
            XCTAssertEqual(entry.storedSize, record.sizes.stored)
            XCTAssertEqual(entry.latestMigration, "20260201000000")
            XCTAssertEqual(entry.migrationTable, "schema_migrations")
            XCTAssertEqual(entry.source, HistorySource(kind: "database", name: harness.database, database: nil))
            XCTAssertFalse(entry.sanitized)
            XCTAssertEqual(entry.rows, record.rowCount)
        }
        XCTAssertEqual(log.snapshots.map(\.mediaFiles), [5, 4, 4])

        // Newly stored, checked against the store itself: the three figures add up to the bytes of its objects.
        let newly = log.snapshots.map(\.newlyStored)
        XCTAssertEqual(newly.reduce(0, +), storedObjectBytes())
        XCTAssertEqual(newly[2], history.records[0].sizes.stored - duplicateBytes(in: history.records[0]), "the first stored everything it names")
        XCTAssertGreaterThan(newly[1], 0, "the second stored audit_log's data anew")
        XCTAssertLessThan(newly[1], history.records[1].sizes.stored / 2, "and reused the rest")
        let third = try XCTUnwrap(harness.read("media/third.txt"))
        XCTAssertGreaterThan(newly[0], 0, "the third stored its new media file and media index")
        XCTAssertLessThan(newly[0], Int64(third.count) + 4096)

        let text = try dpmOK("log", "ug").stdout
        XCTAssertTrue(text.hasPrefix("3 snapshots of ug in file://"), text)
        XCTAssertTrue(text.contains("snapshot \(history.ids[2]) (pinned)\n"), text)
        XCTAssertTrue(text.contains("snapshot \(history.ids[1]) tags: release-2\n"), text)
        XCTAssertTrue(text.contains("Message:    second\n"), text)
        XCTAssertTrue(text.contains("Source:     database \(harness.database), NOT sanitized\n"), text)
        XCTAssertTrue(text.contains("Migration:  20260201000000 (schema_migrations)\n"), text)
        XCTAssertTrue(text.contains("Pinned by:  \(head.prefix(10)) "), text)
        XCTAssertTrue(text.contains(" dpm tests: ug: third upload\n"), text)
    }

    /// Stored bytes a record counts twice: artifacts whose content another artifact of it has.
    private func duplicateBytes(in record: Snapshot) -> Int64 {
        var seen = Set<String>()
        var duplicate: Int64 = 0
        for artifact in [record.schema] + record.data + (record.media.map { [$0.index] } ?? []) where !seen.insert(artifact.sha256).inserted {
            duplicate += artifact.storedSize
        }
        return duplicate
    }

    func testPinBackAndForthThenRestoreAndUseLoadThePinnedSnapshot() throws {
        let history = try makeHistory()
        let storeRecord = { (id: String) in self.harness.read(".dpm/store/\(StoreLayout.snapshotKey(profile: "ug", id: id))") }

        // Back to the tagged second upload: the manifest is its record, byte for byte.
        let back = try dpmOK("pin", "ug", "release-2")
        XCTAssertEqual(back.stdout, "Pinned snapshot \(history.ids[1]) (\(history.records[1].createdAt), tag release-2, \"second\") of ug in profiles/ug/manifest.json, replacing \(history.ids[2]); \"dpm use ug\" or \"dpm restore ug\" loads it, and committing the manifest shares it.\n")
        XCTAssertEqual(harness.read("profiles/ug/manifest.json"), storeRecord(history.ids[1]))
        let restore = harness.dpm("restore", "ug", "--force")
        XCTAssertEqual(restore.status, 0, restore.stderr)
        XCTAssertEqual(try harness.contentDigest(), history.digests[1])
        XCTAssertEqual(Fixture.mediaFingerprint(harness.media), history.media[1], "media of the second upload: no third.txt")
        try git("commit", "-q", "-a", "-m", "ug: back to release-2")

        // Forward again by the beginning of the id.
        let prefix = String(history.ids[2].dropLast(2))
        let forward = try dpmOK("pin", "ug", prefix, "--json")
        let result = try JSONDecoder().decode(PinResult.self, from: Data(forward.stdout.utf8))
        XCTAssertEqual(result.snapshot, history.ids[2])
        XCTAssertEqual(result.previous, history.ids[1])
        XCTAssertTrue(result.changed)
        XCTAssertNil(result.tag)
        XCTAssertEqual(harness.read("profiles/ug/manifest.json"), storeRecord(history.ids[2]))
        let use = harness.dpm("use", "ug")
        XCTAssertEqual(use.status, 0, use.stderr)
        XCTAssertEqual(try harness.contentDigest(), history.digests[2])
        XCTAssertEqual(Fixture.mediaFingerprint(harness.media), history.media[2])
        try git("commit", "-q", "-a", "-m", "ug: forward to the third")

        // Pinning what is pinned writes nothing.
        let before = try harness.stateFingerprint()
        let again = try dpmOK("pin", "ug", history.ids[2])
        XCTAssertTrue(again.stdout.hasPrefix("profiles/ug/manifest.json already pins snapshot \(history.ids[2]) ("), again.stdout)
        XCTAssertEqual(try harness.stateFingerprint(), before)

        // The log follows: the pinned snapshot, and every commit that pinned each.
        let log = try log()
        XCTAssertEqual(log.pinned, history.ids[2])
        XCTAssertEqual(log.snapshots.map { $0.commits.map(\.subject) },
                       [["ug: forward to the third", "ug: third upload"], ["ug: back to release-2", "ug: second upload"], ["ug: first upload"]])

        // restore --snapshot takes a tag too.
        let tagged = harness.dpm("restore", "ug", "--snapshot", "release-2", "--into", harness.prefix + "_tagged")
        XCTAssertEqual(tagged.status, 0, tagged.stderr)
        XCTAssertEqual(try harness.contentDigest(of: harness.prefix + "_tagged"), history.digests[1])
    }

    func testTagsAreCreatedOnceAndMovedOnlyWithForce() throws {
        let history = try makeHistory()
        let tagged = try dpmOK("tag", "ug", history.ids[0], "contract-7")
        XCTAssertEqual(tagged.stdout, "Tagged snapshot \(history.ids[0]) of ug as contract-7.\n")
        let key = StoreLayout.tagKey(profile: "ug", name: "contract-7")
        let record = try CanonicalJSON.decode(TagRecord.self, from: XCTUnwrap(harness.read(".dpm/store/\(key)")), what: key)
        XCTAssertEqual(record.name, "contract-7")
        XCTAssertEqual(record.profile, "ug")
        XCTAssertEqual(record.snapshot, history.ids[0])
        XCTAssertNil(record.previous)
        XCTAssertNotNil(Timestamp.parse(record.createdAt))

        try harness.assertRefused(["tag", "ug", history.ids[2], "contract-7"],
                                  says: "The tag contract-7 of ug already names snapshot \(history.ids[0]) (since \(record.createdAt)); choose another name, or add --force to move it.")
        let moved = try dpmOK("tag", "ug", history.ids[2], "contract-7", "--force")
        XCTAssertEqual(moved.stdout, "Moved the tag contract-7 of ug from snapshot \(history.ids[0]) to \(history.ids[2]).\n")
        let movedRecord = try CanonicalJSON.decode(TagRecord.self, from: XCTUnwrap(harness.read(".dpm/store/\(key)")), what: key)
        XCTAssertEqual(movedRecord.snapshot, history.ids[2])
        XCTAssertEqual(movedRecord.previous, history.ids[0])
        let same = try dpmOK("tag", "ug", history.ids[2], "contract-7", "--force")
        XCTAssertEqual(same.stdout, "The tag contract-7 of ug already names snapshot \(history.ids[2]); nothing was changed.\n")

        // A tag names a snapshot wherever one goes: tag by tag, with --json.
        let json = try dpmOK("tag", "ug", "release-2", "v2", "--json")
        let result = try JSONDecoder().decode(TagResult.self, from: Data(json.stdout.utf8))
        XCTAssertEqual(result.snapshot, history.ids[1])
        XCTAssertTrue(result.changed)
        XCTAssertEqual(try log().snapshots.map(\.tags), [["contract-7"], ["release-2", "v2"], []])
    }

    func testUploadWritesItsTagAfterTheRecordAndBeforeTheManifest() throws {
        let history = try makeHistory()
        let manifestBefore = harness.read("profiles/ug/manifest.json")
        let records = "\(harness.store)/snapshots/ug"
        let before = Set(try FileManager.default.contentsOfDirectory(atPath: records))
        let killed = harness.dpm("upload", "ug", "--tag", "killed", environment: ["DPM_STOP_AT": "upload.before-manifest"])
        XCTAssertNotEqual(killed.status, 0)
        let new = try XCTUnwrap(Set(try FileManager.default.contentsOfDirectory(atPath: records)).subtracting(before).first)
        let tag = try CanonicalJSON.decode(TagRecord.self, from: XCTUnwrap(harness.read(".dpm/store/tags/ug/killed.json")), what: "tag")
        XCTAssertEqual(tag.snapshot + ".json", new, "the tag names the record written before it")
        XCTAssertEqual(harness.read("profiles/ug/manifest.json"), manifestBefore, "the manifest is the last step")

        // Killed before the tag: a record, no tag.
        let beforeTag = harness.dpm("upload", "ug", "--tag", "never", environment: ["DPM_STOP_AT": "upload.before-tag"])
        XCTAssertNotEqual(beforeTag.status, 0)
        XCTAssertNil(harness.read(".dpm/store/tags/ug/never.json"))
        XCTAssertEqual(harness.read("profiles/ug/manifest.json"), manifestBefore)

        // An existing tag refuses the upload before the database is read: a database that does not exist is never noticed.
        try harness.assertRefused(["upload", "ug", "--tag", "release-2", "--from", "dbname=\(harness.prefix)_absent"],
                                  says: "The tag release-2 of ug already names snapshot \(history.ids[1])")
        try harness.assertRefused(["upload", "ug", "--tag", "bad/name"], says: "\"bad/name\" is not a valid tag name")

        let summary = try dpmOK("upload", "ug", "--tag", "fourth").stdout
        XCTAssertTrue(summary.hasPrefix("Uploaded ug snapshot \(try manifest().id) (tag fourth): read"), summary)
    }

    func testRefusalsAreOneSentenceAndChangeNothing() throws {
        harness.environment = Harness.unpacked // removes one table's and one media file's object
        let history = try makeHistory()
        try dpmOK("tag", "ug", history.ids[0], "contract-7")
        for arguments in [["log", "nobody"], ["pin", "nobody", history.ids[0]], ["tag", "nobody", history.ids[0], "v1"]] {
            try harness.assertRefused(arguments, says: "There is no profile \"nobody\" (known profiles: clean-db, ug).")
        }
        try harness.assertRefused(["log", "clean-db"], says: "The clean profile clean-db lives in git, not in the store")
        try harness.assertRefused(["pin", "clean-db", "v1"], says: "The clean profile clean-db lives in git, not in the store")
        try harness.assertRefused(["tag", "clean-db", "v1", "v2"], says: "The clean profile clean-db lives in git, not in the store")
        try harness.assertRefused(["upload", "clean-db", "--tag", "v1"], says: "The clean profile clean-db lives in git, not in the store")
        try harness.assertRefused(["pin", "ug", "20200101T000000Z-abcdef"],
                                  says: "has no snapshot 20200101T000000Z-abcdef of profile ug (latest: \(history.ids.reversed().joined(separator: ", "))).")
        try harness.assertRefused(["pin", "ug", "contrakt-7"], says: "has no tag contrakt-7 of profile ug (did you mean contract-7?).")
        try harness.assertRefused(["pin", "ug", "production"], says: "has no tag production of profile ug (tags of ug: contract-7, release-2).")
        try harness.assertRefused(["pin", "ug", "2"], says: "\"2\" is the beginning of 3 snapshots of ug (\(history.ids.reversed().joined(separator: ", "))); give more of the id.")
        try harness.assertRefused(["pin", "ug", "1999"], says: "has no snapshot of profile ug whose id begins with 1999")
        try harness.assertRefused(["pin", "ug", "a/b"], says: "\"a/b\" is neither a snapshot id")
        try harness.assertRefused(["tag", "ug", history.ids[0], "1st"], says: "\"1st\" is not a valid tag name: a tag name is 1 to 100 letters")
        try harness.assertRefused(["tag", "ug", history.ids[0], "a.b/c"], says: "\"a.b/c\" is not a valid tag name")
        try harness.assertRefused(["tag", "ug", "20200101T000000Z-abcdef", "v9"], says: "has no snapshot 20200101T000000Z-abcdef of profile ug")
        try harness.assertRefused(["tag", "ug", history.ids[1], "contract-7"], says: "The tag contract-7 of ug already names snapshot \(history.ids[0])")

        // A snapshot whose objects are missing is not pinned, and the refusal names what is missing.
        let first = history.records[0]
        let unique = try XCTUnwrap(first.data.first { artifact in
            artifact.table == "public.audit_log" && !history.records[1].data.contains { $0.sha256 == artifact.sha256 }
        })
        try FileManager.default.removeItem(atPath: "\(harness.store)/\(StoreLayout.objectKey(unique.sha256))")
        try harness.assertRefused(["pin", "ug", history.ids[0]],
                                  says: "Snapshot \(history.ids[0]) cannot be pinned from file://\(harness.store): object \(unique.sha256) (\(unique.path), data of public.audit_log) is missing; nothing was changed.")
        let index = try XCTUnwrap(history.records[1].media?.index)
        XCTAssertNotEqual(index.sha256, history.records[2].media?.index.sha256)
        let indexPath = ".dpm/store/\(StoreLayout.objectKey(index.sha256))"
        let indexBytes = try XCTUnwrap(harness.read(indexPath))
        try harness.write("not zstd", to: indexPath)
        try harness.assertRefused(["pin", "ug", "release-2"],
                                  says: "object \(index.sha256) (media index) has 8 bytes where the snapshot recorded \(index.storedSize), and its content does not verify; nothing was changed.")
        try indexBytes.write(to: URL(fileURLWithPath: "\(harness.root)/\(indexPath)"))
        try dpmOK("pin", "ug", "release-2")
        let third = SHA256Hex.of(try XCTUnwrap(harness.read("media/third.txt")))
        try FileManager.default.removeItem(atPath: "\(harness.store)/\(StoreLayout.objectKey(third))")
        try harness.assertRefused(["pin", "ug", history.ids[2]], says: "object \(third) (media file third.txt) is missing; nothing was changed.")
    }

    func testAProjectWithoutGitHistoryShowsNoCommits() throws {
        try Fixture.create(in: harness)
        try dpmOK("profile", "create", "ug", "--kind", "shared")
        let empty = try log()
        XCTAssertEqual(empty.snapshots.count, 0)
        XCTAssertTrue(try dpmOK("log", "ug").stdout.contains("has no snapshots of ug yet; create one with \"dpm upload ug\"."))
        try dpmOK("upload", "ug", "--no-media")
        XCTAssertEqual(try log().snapshots.map(\.commits), [[]], "not a git repository")
        try git("init", "-q")
        XCTAssertEqual(try log().snapshots.map(\.commits), [[]], "a repository without commits")
        try git("add", "-A")
        try git("commit", "-q", "-m", "now with a commit")
        XCTAssertEqual(try log().snapshots.first?.commits.map(\.subject), ["now with a commit"])
        let noGit = harness.dpm(["log", "ug", "--json"], environment: ["PATH": "/nonexistent"])
        XCTAssertEqual(noGit.status, 0, noGit.stderr)
        XCTAssertEqual(noGit.stderr, "The git history of profiles/ug/manifest.json is not shown: git is not installed (or not on PATH).\n")
    }

    func testAPinThatFindsTheManifestChangedLeavesIt() throws {
        let history = try makeHistory()
        let slow = BackgroundDPM(harness: harness, arguments: ["pin", "ug", history.ids[0]], environment: ["DPM_PAUSE_AT": "pin.before-manifest:5"])
        try slow.waitForStderr(containing: "Pausing at pin.before-manifest", seconds: 60)
        try dpmOK("pin", "ug", history.ids[1])
        let finished = slow.wait()
        XCTAssertEqual(finished.status, 1)
        XCTAssertTrue(finished.stderr.contains("error: profiles/ug/manifest.json now pins \(history.ids[1]) while dpm checked snapshot \(history.ids[0]) (another upload or pin?), so dpm left it alone; to pin \(history.ids[0]) instead, run \"dpm pin ug \(history.ids[0])\" again.\n"), finished.stderr)
        XCTAssertEqual(try manifest().id, history.ids[1], "the pin that finished first stays")
    }

    func testTwoProcessesTaggingOneNameAtOnceHaveOneWinner() throws {
        let history = try makeHistory()
        try Self.assertOneWinner(in: harness, history: history, environment: [:]) { self.harness.read(".dpm/store/tags/ug/race.json") }
    }

    /// Both processes pass their look for the tag, wait, then write: the create-only put decides.
    static func assertOneWinner(in harness: Harness, history: History, environment: [String: String], tagRecord: () throws -> Data?) throws {
        let pause = ["DPM_PAUSE_AT": "tag.before-write:3"]
        let racers = [history.ids[0], history.ids[2]].map {
            BackgroundDPM(harness: harness, arguments: ["tag", "ug", $0, "race"], environment: environment.merging(pause) { $1 })
        }
        for racer in racers { try racer.waitForStderr(containing: "Pausing at tag.before-write", seconds: 60) }
        let results = racers.map { $0.wait() }
        XCTAssertEqual(results.map(\.status).sorted(), [0, 1], results.map(\.stderr).joined(separator: " | "))
        let winner = try XCTUnwrap(results.firstIndex { $0.status == 0 })
        let winnerID = winner == 0 ? history.ids[0] : history.ids[2]
        XCTAssertEqual(results[winner].stdout, "Tagged snapshot \(winnerID) of ug as race.\n")
        XCTAssertTrue(results[1 - winner].stderr.contains("error: The tag race of ug already names snapshot \(winnerID)"), results[1 - winner].stderr)
        let record = try CanonicalJSON.decode(TagRecord.self, from: XCTUnwrap(try tagRecord()), what: "tag")
        XCTAssertEqual(record.snapshot, winnerID)
    }
}
