@testable import DatasetKit
import Foundation
import XCTest

/// The pure parts of log, pin and tags: names, references, the newly-stored figure, and
/// reading git's output (against a real git repository).
final class HistoryUnitTests: XCTestCase {
    func testTagNames() throws {
        for valid in ["v1", "contract-2026.Q3", "a", "release_4.2", "A-b.c_d", String(repeating: "x", count: 100)] {
            XCTAssertTrue(TagName.isValid(valid), valid)
        }
        for invalid in ["", "1st", "2026", "20261122T031826Z-1a2b3c", "-v1", ".hidden", "_x", "a/b", "a b", "ä", "v1\n",
                        "tag:x", String(repeating: "x", count: 101)] {
            XCTAssertFalse(TagName.isValid(invalid), invalid)
        }
        XCTAssertThrowsError(try TagName("a/b")) {
            XCTAssertEqual(($0 as? DPMError)?.kind, .invalidInput)
            XCTAssertEqual($0.userMessage, "\"a/b\" is not a valid tag name: \(TagName.rule).")
        }
    }

    func testReferencesTellIDsTagsAndPrefixesApart() throws {
        XCTAssertEqual(try SnapshotReference("20261122T031826Z-1a2b3c"), .id("20261122T031826Z-1a2b3c"))
        XCTAssertEqual(try SnapshotReference("contract-7"), .tag(try TagName("contract-7")))
        XCTAssertEqual(try SnapshotReference("latest"), .tag(try TagName("latest")))
        for prefix in ["2", "2026", "20261122", "20261122T", "20261122T0318", "20261122T031826Z", "20261122T031826Z-", "20261122T031826Z-1a2b3"] {
            XCTAssertEqual(try SnapshotReference(prefix), .idPrefix(prefix), prefix)
        }
        for neither in ["", "2026-01", "20261122X", "20261122T031826Z-1A", "20261122T031826Z-1a2b3c4", "/etc", "-x", "2026 "] {
            XCTAssertThrowsError(try SnapshotReference(neither), neither) {
                XCTAssertEqual(($0 as? DPMError)?.kind, .invalidInput)
                XCTAssertTrue($0.userMessage.hasPrefix("\"\(neither)\" is neither a snapshot id"), $0.userMessage)
            }
        }
    }

    func testNearestNameSuggestsOnlyPlausibleTypos() {
        XCTAssertEqual(NearestName.editDistance("kitten", "sitting"), 3)
        XCTAssertEqual(NearestName.editDistance("", "abc"), 3)
        XCTAssertEqual(NearestName.find("contrakt-7", among: ["release", "contract-7", "contract-8"]), "contract-7")
        XCTAssertEqual(NearestName.find("v2", among: ["v1", "v3"]), "v1", "a tie goes to the first")
        XCTAssertNil(NearestName.find("production", among: ["v1", "release"]))
        XCTAssertNil(NearestName.find("x", among: []))
    }

    private func named(_ id: String, _ objects: [String: Int64]) -> NewlyStored.Named { NewlyStored.Named(id: id, objects: objects) }

    func testNewlyStoredCountsEachObjectForTheOldestRecordThatNamesIt() {
        let records = [
            named("20260103T000000Z-cccccc", ["a": 10, "d": 4]),
            named("20260101T000000Z-aaaaaa", ["a": 10, "b": 20]),
            named("20260102T000000Z-bbbbbb", ["a": 10, "b": 20, "c": 30]),
            named("20260104T000000Z-dddddd", ["a": 10]),
        ]
        XCTAssertEqual(NewlyStored.compute(records), [4, 30, 30, 0], "in the order given, counted in id order")
        XCTAssertEqual(NewlyStored.compute(records).reduce(0, +), 64, "the sum is what the records hold together, each object once")
        XCTAssertEqual(NewlyStored.compute(records.reversed()), [0, 30, 30, 4])
        XCTAssertEqual(NewlyStored.compute([]), [])
    }

    func testNamedObjectsIncludeMediaFilesFromTheIndex() {
        var snapshot = SnapshotFormatTests.sampleSnapshot()
        let index = String(repeating: "cd", count: 32), file = String(repeating: "ef", count: 32)
        snapshot.data[1].sha256 = String(repeating: "12", count: 32)
        snapshot.media = MediaSummary(index: Artifact(path: "media-index.json", sha256: index, size: 90, storedSize: 70),
                                      files: 2, bytes: 1000, storedBytes: 600)
        let media = [MediaEntry(path: "a.bin", size: 500, mode: 0o644, sha256: file, storedSize: 300),
                     MediaEntry(path: "copy.bin", size: 500, mode: 0o644, sha256: file, storedSize: 300),
                     MediaEntry(path: "old.txt", size: 9, mode: 0o644, sha256: String(repeating: "77", count: 32))]
        let objects = NewlyStored.named(by: snapshot, media: media).objects
        XCTAssertEqual(objects[index], 70)
        XCTAssertEqual(objects[file], 300, "one object however many files have its content")
        XCTAssertEqual(objects[String(repeating: "77", count: 32)], 9, "an index without stored sizes gives the size")
        XCTAssertEqual(objects.count, 5, "schema (shared with a data file), toc.dat, the index and two media objects")
        XCTAssertEqual(NewlyStored.named(by: snapshot, media: nil).objects.count, 3)
    }

    func testGitLogAndCatFileOutputIsRead() {
        let clean = Data("abc\u{1F}Ann\u{1F}2026-06-01T09:00:00+02:00\u{1F}pin: a; b | c\u{1E}\ndef\u{1F}Bob\u{1F}2026-05-01T09:00:00Z\u{1F}\u{1E}\n".utf8)
        XCTAssertEqual(ManifestCommits.parseLog(clean), [
            ManifestCommit(commit: "abc", author: "Ann", date: "2026-06-01T09:00:00+02:00", subject: "pin: a; b | c"),
            ManifestCommit(commit: "def", author: "Bob", date: "2026-05-01T09:00:00Z", subject: ""),
        ])
        let first = Data("{\"id\": \"20260101T000000Z-aaaaaa\"}\n".utf8)
        let batch = Data("1111 blob \(first.count)\n".utf8) + first + Data("\nabc:./profiles/x/manifest.json missing\n2222 blob 3\nno!\n".utf8)
        let blobs = ManifestCommits.parseBatch(batch, count: 4)
        XCTAssertEqual(blobs, [first, nil, Data("no!".utf8), nil])
        XCTAssertEqual(ManifestCommits.pinnedID(in: first), "20260101T000000Z-aaaaaa")
        XCTAssertNil(ManifestCommits.pinnedID(in: Data("no!".utf8)))
        XCTAssertNil(ManifestCommits.pinnedID(in: Data("{\"id\": \"latest\"}".utf8)))
        XCTAssertTrue(ManifestCommits.meansNoHistory("fatal: not a git repository (or any of the parent directories): .git\n"))
        XCTAssertTrue(ManifestCommits.meansNoHistory("fatal: your current branch 'main' does not have any commits yet\n"))
        XCTAssertFalse(ManifestCommits.meansNoHistory("fatal: bad object HEAD\n"))
    }

    func testPinsComeFromTheRepositorysHistoryOfTheManifest() throws {
        let root = NSTemporaryDirectory() + "dpm-history-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: root) }
        try FileManager.default.createDirectory(atPath: "\(root)/app/profiles/ug", withIntermediateDirectories: true)
        let git = RealGit()
        let project = Project(root: "\(root)/app", config: ProjectConfig())
        let commits = ManifestCommits(git: git, project: project)
        var notes: [String] = []
        XCTAssertEqual(commits.pins(of: try ProfileName("ug"), note: { notes.append($0) }), [:], "not a repository yet")
        try git.check(["init", "-q"], in: root)
        XCTAssertEqual(commits.pins(of: try ProfileName("ug"), note: { notes.append($0) }), [:], "no commits yet")
        XCTAssertEqual(notes, [], "neither is worth a note")

        let manifest = "\(root)/app/profiles/ug/manifest.json"
        let (a, b) = ("20260101T000000Z-aaaaaa", "20260102T000000Z-bbbbbb")
        for (id, subject) in [(a, "pin a"), (b, "pin b | with; odd\tcharacters"), (a, "roll back to a")] {
            try Data("{\n  \"id\" : \"\(id)\"\n}\n".utf8).write(to: URL(fileURLWithPath: manifest))
            try git.check(["add", "-A"], in: root)
            try git.check(["commit", "-q", "-m", subject], in: root)
        }
        try git.check(["commit", "-q", "--allow-empty", "-m", "unrelated"], in: root)
        try FileManager.default.removeItem(atPath: manifest)
        try git.check(["commit", "-q", "-a", "-m", "delete the manifest"], in: root)

        let pins = commits.pins(of: try ProfileName("ug"), note: { notes.append($0) })
        XCTAssertEqual(pins[a]?.map(\.subject), ["roll back to a", "pin a"], "newest first")
        XCTAssertEqual(pins[b]?.map(\.subject), ["pin b | with; odd\tcharacters"])
        XCTAssertEqual(pins.count, 2, "the deleting commit pins nothing")
        XCTAssertEqual(pins[b]?.first?.author, "dpm tests")
        XCTAssertEqual(pins[b]?.first?.commit.count, 40)
        XCTAssertNotNil(pins[b].flatMap { Timestamp.parse($0[0].date) }, "an ISO 8601 date")
        XCTAssertEqual(notes, [])
        XCTAssertEqual(commits.pins(of: try ProfileName("other"), note: { notes.append($0) }), [:])
    }

    func testRecordKeysOfEveryProfileAreListedAndOthersSkipped() throws {
        let store = MemoryStore()
        for key in ["snapshots/ug/20260101T000000Z-aaaaaa.json", "snapshots/acme/20260102T000000Z-bbbbbb.json",
                    "snapshots/ug/latest.json", "snapshots/Bad/20260101T000000Z-aaaaaa.json", "snapshots/ug/20260101T000000Z-aaaaaa.json.tmp",
                    "snapshots/ug/deeper/20260101T000000Z-aaaaaa.json", "tags/ug/v1.json", "objects/ab/abcd"] {
            store.objects.withValue { $0[key] = Data() }
        }
        XCTAssertEqual(try StoreRecords.list(in: store).map { "\($0.profile)/\($0.id)" },
                       ["acme/20260102T000000Z-bbbbbb", "ug/20260101T000000Z-aaaaaa"])
    }

    func testTagsAreCreateOnlyUnlessReplaced() throws {
        let store = MemoryStore()
        let profile = try ProfileName("ug")
        let tags = SnapshotTags(store: store, profile: profile)
        let name = try TagName("v1")
        XCTAssertNil(try tags.tag(name))
        let first = TagRecord(name: name, profile: profile, snapshot: "20260101T000000Z-aaaaaa", createdAt: "2026-01-01T00:00:00Z", tool: "dpm t")
        try tags.create(first)
        XCTAssertEqual(try tags.tag(name), first)
        XCTAssertEqual(Array(store.objects.current.keys), ["tags/ug/v1.json"])
        var second = first
        second.snapshot = "20260102T000000Z-bbbbbb"
        XCTAssertThrowsError(try tags.create(second)) { XCTAssertEqual(($0 as? DPMError)?.kind, .conflict) }
        XCTAssertEqual(try tags.tag(name), first, "the first tag stays")
        second.previous = first.snapshot
        try tags.replace(second)
        XCTAssertEqual(try tags.tag(name), second)
        try tags.create(TagRecord(name: try TagName("a"), profile: profile, snapshot: first.snapshot, createdAt: "x", tool: "t"))
        store.objects.withValue { $0["tags/ug/not a tag.json"] = Data(); $0["tags/other/v1.json"] = Data() }
        XCTAssertEqual(try tags.names().map(\.value), ["a", "v1"])
        XCTAssertEqual(try tags.all().map(\.snapshot), [first.snapshot, second.snapshot])
    }

    func testATagRecordThatIsNotDpmsIsRefused() throws {
        let store = MemoryStore()
        let profile = try ProfileName("ug")
        let tags = SnapshotTags(store: store, profile: profile)
        let cases = [
            ("{\"format\": 1, \"name\": \"v2\", \"profile\": \"ug\", \"snapshot\": \"20260101T000000Z-aaaaaa\", \"createdAt\": \"x\", \"tool\": \"t\"}", "it names the tag \"v2\""),
            ("{\"format\": 1, \"name\": \"v1\", \"profile\": \"ot\", \"snapshot\": \"20260101T000000Z-aaaaaa\", \"createdAt\": \"x\", \"tool\": \"t\"}", "it names the profile \"ot\""),
            ("{\"format\": 1, \"name\": \"v1\", \"profile\": \"ug\", \"snapshot\": \"../x\", \"createdAt\": \"x\", \"tool\": \"t\"}", "\"../x\" is not a snapshot id"),
            ("{\"format\": 9, \"name\": \"v1\", \"profile\": \"ug\", \"snapshot\": \"20260101T000000Z-aaaaaa\", \"createdAt\": \"x\", \"tool\": \"t\"}", "its format 9 is unknown"),
            ("{\"format\": 1}", "is malformed"),
        ]
        for (json, reason) in cases {
            store.objects.withValue { $0["tags/ug/v1.json"] = Data(json.utf8) }
            XCTAssertThrowsError(try tags.tag(try TagName("v1"))) {
                XCTAssertEqual(($0 as? DPMError)?.kind, .corrupt)
                XCTAssertTrue($0.userMessage.hasPrefix("The tag record tags/ug/v1.json "), $0.userMessage)
                XCTAssertTrue($0.userMessage.contains(reason), $0.userMessage)
            }
            let skipped = Locked([String]())
            XCTAssertEqual(try tags.all(unreadable: { message in skipped.withValue { $0.append(message) } }), [])
            XCTAssertEqual(skipped.current.count, 1, "log lists the other tags and says which it could not read")
        }
    }
}
