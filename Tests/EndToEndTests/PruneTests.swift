import DatasetKit
import Foundation
import XCTest

/// dpm prune through the real binary against a file: store: three uploads committed in git,
/// plus records crafted with older times (copies of the first upload's record, so they share
/// its objects), pinned in other branches, a tag, a remote-tracking branch and the working tree.
final class PruneTests: XCTestCase {
    private var harness: Harness!

    override func setUpWithError() throws { harness = try Harness() }
    override func tearDown() { harness?.tearDown() }

    @discardableResult
    private func git(_ arguments: String...) throws -> String { try HistoryTests.git(arguments, in: harness) }

    /// A copy of `template` made `days` ago, written to the store as a record of its own.
    static func craft(_ template: Snapshot, daysAgo days: Double, message: String, in store: ObjectStore) throws -> Snapshot {
        var record = template
        let date = Date().addingTimeInterval(-days * 86_400)
        record.id = SnapshotID.make(at: date)
        record.createdAt = Timestamp.iso8601(date)
        record.message = message
        try store.put(StoreLayout.snapshotKey(profile: record.profile, id: record.id), from: DataReader(try CanonicalJSON.encode(record)),
                      expectedSHA256: nil, overwrite: false)
        return record
    }

    static func prune(_ arguments: [String], in harness: Harness, environment: [String: String] = [:],
                      file: StaticString = #filePath, line: UInt = #line) throws -> (PruneReport, String) {
        let run = harness.dpm(["prune", "--json"] + arguments, environment: environment)
        XCTAssertEqual(run.status, 0, "dpm prune \(arguments): \(run.stderr)", file: file, line: line)
        return (try JSONDecoder().decode(PruneReport.self, from: Data(run.stdout.utf8)), run.stderr)
    }

    static func log(_ profile: String, in harness: Harness, environment: [String: String] = [:]) throws -> ProfileHistory {
        let run = harness.dpm(["log", profile, "--json"], environment: environment)
        XCTAssertEqual(run.status, 0, run.stderr)
        return try JSONDecoder().decode(ProfileHistory.self, from: Data(run.stdout.utf8))
    }

    /// Every file of the store with its bytes, to see that nothing changed, or only what should.
    private func storeFiles() -> [String: Data] {
        var files: [String: Data] = [:]
        let walker = FileManager.default.enumerator(atPath: harness.store)
        while let relative = walker?.nextObject() as? String {
            var isDirectory: ObjCBool = false
            let path = "\(harness.store)/\(relative)"
            if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue {
                files[relative] = FileManager.default.contents(atPath: path)
            }
        }
        return files
    }

    private func writeManifest(_ record: Snapshot) throws {
        try CanonicalJSON.encode(record).write(to: URL(fileURLWithPath: "\(harness.root)/profiles/ug/manifest.json"))
    }

    private func decisions(_ report: PruneReport, _ profile: String = "ug") -> [String: PruneEntry] {
        Dictionary(uniqueKeysWithValues: (report.profiles.first { $0.profile == profile }?.snapshots ?? []).map { ($0.id, $0) })
    }

    func testRulesAndPinsInEveryRefDecideAndOnlyRecordsAndTheirTagsGo() throws {
        let history = try HistoryTests.makeHistory(in: harness)
        let ids = history.ids
        let store = try LocalStoreAccess.open(harness.store)
        let template = history.records[0]
        let main = try git("rev-parse", "--abbrev-ref", "HEAD").trimmingCharacters(in: .whitespacesAndNewlines)
        let old = try Self.craft(template, daysAgo: 400, message: "contract", in: store)
        let onBranch = try Self.craft(template, daysAgo: 300, message: "on a branch", in: store)
        let onTag = try Self.craft(template, daysAgo: 250, message: "in a tag", in: store)
        let onRemote = try Self.craft(template, daysAgo: 200, message: "on the remote", in: store)
        let working = try Self.craft(template, daysAgo: 150, message: "uncommitted", in: store)
        let sixtyDays = try Self.craft(template, daysAgo: 60, message: "sixty days", in: store)
        let tenDays = try Self.craft(template, daysAgo: 10, message: "ten days", in: store)
        XCTAssertEqual(harness.dpm("tag", "ug", old.id, "contract-7").status, 0)

        // A branch, a tag whose branch is gone, a remote-tracking branch whose local branch is gone.
        try git("checkout", "-q", "-b", "other")
        try writeManifest(onBranch)
        try git("commit", "-q", "-am", "other pins an old one")
        try git("checkout", "-q", "-b", "release", main)
        try writeManifest(onTag)
        try git("commit", "-q", "-am", "release pins an old one")
        try git("tag", "-a", "-m", "the release", "v1")
        let origin = "\(harness.root)/.dpm/origin.git"
        try git("init", "-q", "--bare", origin)
        try git("remote", "add", "origin", origin)
        try git("checkout", "-q", "-b", "feature", main)
        try writeManifest(onRemote)
        try git("commit", "-q", "-am", "feature pins an old one")
        try git("push", "-q", "origin", "feature")
        try git("checkout", "-q", main)
        try git("branch", "-q", "-D", "release", "feature")
        // The working tree pins another one, not committed.
        try writeManifest(working)

        // A dry run says what would go and removes nothing.
        let before = storeFiles()
        let (dry, dryNotes) = try Self.prune(["--keep-last", "2", "--dry-run"], in: harness)
        XCTAssertEqual(dryNotes, "")
        XCTAssertEqual(storeFiles(), before, "a dry run removes nothing")
        XCTAssertTrue(dry.dryRun)
        XCTAssertTrue(dry.gitRepository)
        XCTAssertEqual(dry.refs, 4, "\(main), other, origin/feature and the tag v1")
        var decided = decisions(dry)
        XCTAssertEqual(dry.profiles.map(\.profile), ["ug"], "clean-db has no records; qa has none")
        XCTAssertEqual(dry.profiles[0].snapshots.map(\.id), decided.keys.sorted().reversed(), "newest first")
        XCTAssertEqual(decided[ids[2]]?.reasons, ["last 2", "pinned by \(main)"])
        XCTAssertEqual(decided[ids[1]]?.reasons, ["last 2"])
        XCTAssertEqual(decided[ids[1]]?.tags, ["release-2"])
        XCTAssertEqual(decided[onBranch.id]?.reasons, ["pinned by other"])
        XCTAssertEqual(decided[onTag.id]?.reasons, ["pinned by tag v1"])
        XCTAssertEqual(decided[onRemote.id]?.reasons, ["pinned by origin/feature"])
        XCTAssertEqual(decided[working.id]?.reasons, ["pinned by working tree"])
        XCTAssertEqual(Set(decided.values.filter { !$0.kept }.map(\.id)), [ids[0], old.id, sixtyDays.id, tenDays.id],
                       "the first upload is pinned only by an older commit of \(main)")
        XCTAssertEqual(decided[old.id]?.tags, ["contract-7"])
        XCTAssertEqual(dry.profiles[0].removedTags, ["contract-7"])
        XCTAssertEqual(decided[ids[0]]?.createdAt, template.createdAt)
        XCTAssertGreaterThan(decided[old.id]?.newlyStored ?? 0, 0, "the oldest copy counts the objects they all name")
        XCTAssertEqual(decided[ids[0]]?.newlyStored, 0, "and the upload it copies, younger, none")
        XCTAssertEqual(dry.reclaimable, 0, "every object is still named by a kept copy")

        // The rules are a union: last 2, within 30 days, tagged.
        let (first, _) = try Self.prune(["--keep-last", "2", "--keep-within", "30d", "--keep-tagged"], in: harness)
        decided = decisions(first)
        XCTAssertFalse(first.dryRun)
        XCTAssertEqual(decided[tenDays.id]?.reasons, ["within 30d"])
        XCTAssertEqual(decided[ids[2]]?.reasons, ["last 2", "within 30d", "pinned by \(main)"])
        XCTAssertEqual(decided[ids[1]]?.reasons, ["last 2", "within 30d", "tag release-2"])
        XCTAssertEqual(decided[old.id]?.reasons, ["tag contract-7"])
        XCTAssertEqual(decided[ids[0]]?.reasons, ["within 30d"])
        XCTAssertEqual(Set(decided.values.filter { !$0.kept }.map(\.id)), [sixtyDays.id])
        XCTAssertEqual(first.removedSnapshots, 1)
        XCTAssertEqual(first.keptSnapshots, 9)
        XCTAssertEqual(first.profiles[0].removedTags, [])
        var after = storeFiles()
        XCTAssertEqual(Set(before.keys).subtracting(after.keys),
                       [StoreLayout.snapshotKey(profile: "ug", id: sixtyDays.id)], "only the record went; every object is still there")
        for (key, bytes) in after { XCTAssertEqual(before[key], bytes, key) }
        var log = try Self.log("ug", in: harness)
        XCTAssertEqual(Set(log.snapshots.map(\.id)), Set(decided.values.filter(\.kept).map(\.id)), "log shows exactly the kept ones")

        // Keep the last one only, as text: the tags of removed snapshots go with them.
        let run = harness.dpm("prune", "--keep-last", "1")
        XCTAssertEqual(run.status, 0, run.stderr)
        XCTAssertEqual(run.stderr, "")
        let text = run.stdout
        XCTAssertTrue(text.hasPrefix("Pruning file://\(harness.store): keep the last 1; never a snapshot a manifest pins (4 git refs and the working tree).\n"), text)
        XCTAssertTrue(text.contains("\nug: 9 snapshots, 5 kept, 4 removed.\n"), text)
        XCTAssertTrue(text.contains("  SNAPSHOT                 CREATED               TAGS        "), text)
        let removedRow = text.split(separator: "\n").first { $0.hasPrefix("  \(ids[1])  ") }.map(String.init) ?? ""
        XCTAssertTrue(removedRow.hasPrefix("  \(ids[1])  \(history.records[1].createdAt)  release-2   remove  "), removedRow)
        XCTAssertTrue(removedRow.hasSuffix(" KB        -"), "its newly stored size, and no reason to keep it: \(removedRow)")
        XCTAssertTrue(text.contains("  \(onRemote.id)  \(onRemote.createdAt)  -           keep    0 B           pinned by origin/feature\n"), text)
        XCTAssertTrue(text.contains("  Tags removed with their snapshots: contract-7, release-2.\n"), text)
        XCTAssertTrue(text.contains("Removed 4 snapshot records and 2 tags. Their objects are still in the store ("), text)
        XCTAssertTrue(text.hasSuffix("): run \"dpm gc\" to reclaim the space.\n"), text)
        after = storeFiles()
        XCTAssertNil(after["tags/ug/contract-7.json"])
        XCTAssertNil(after["tags/ug/release-2.json"])
        log = try Self.log("ug", in: harness)
        XCTAssertEqual(Set(log.snapshots.map(\.id)), [ids[2], onBranch.id, onTag.id, onRemote.id, working.id])
        XCTAssertTrue(log.snapshots.allSatisfy(\.tags.isEmpty))
        XCTAssertEqual(log.unreadable, [])

        // Nothing left to remove: everything is pinned or last.
        let (again, _) = try Self.prune(["--keep-last", "0"], in: harness)
        XCTAssertEqual(again.removedSnapshots, 0)
        XCTAssertEqual(harness.dpm("prune", "--keep-last", "0").stdout.components(separatedBy: "\n").suffix(2),
                       ["Every snapshot is kept; nothing was removed.", ""])

        // A kept snapshot still pins and restores.
        XCTAssertEqual(harness.dpm("pin", "ug", onRemote.id).status, 0)
        let restore = harness.dpm("restore", "ug", "--force")
        XCTAssertEqual(restore.status, 0, restore.stderr)
        XCTAssertEqual(try harness.contentDigest(), history.digests[0])
    }

    func testRetentionFromDpmYamlFlagsOverrideItAndAnInterruptedPruneIsConsistent() throws {
        try Fixture.create(in: harness)
        XCTAssertEqual(harness.dpm("profile", "create", "ug", "--kind", "shared").status, 0)
        XCTAssertEqual(harness.dpm("profile", "create", "qa", "--kind", "shared").status, 0)
        let nothing = harness.dpm("prune", "--keep-last", "1")
        XCTAssertEqual(nothing.status, 0, nothing.stderr)
        XCTAssertTrue(nothing.stdout.hasSuffix("\nThe store has no snapshots of this project's profiles; nothing to do.\n"), nothing.stdout)
        let upload = harness.dpm("upload", "ug", "--no-media")
        XCTAssertEqual(upload.status, 0, upload.stderr)
        let store = try LocalStoreAccess.open(harness.store)
        let pinned = try VerifyTests.manifest("ug", in: harness)
        let crafted = try [100.0, 50, 40, 5].map { try Self.craft(pinned, daysAgo: $0, message: "\($0) days", in: store) }
        XCTAssertEqual(harness.dpm("tag", "ug", crafted[0].id, "audit").status, 0)
        XCTAssertEqual(harness.dpm("tag", "ug", crafted[2].id, "doomed").status, 0)

        let yaml = try XCTUnwrap(String(data: XCTUnwrap(harness.read("dpm.yaml")), encoding: .utf8))
        try harness.write(yaml + "retention:\n  keep_within: 30d\n  keep_tagged: true\n", to: "dpm.yaml")
        let (fromYaml, notes) = try Self.prune(["--dry-run"], in: harness)
        XCTAssertEqual(notes, "The project is not a git repository, so only the working tree's manifests protect snapshots.\n")
        XCTAssertFalse(fromYaml.gitRepository)
        XCTAssertEqual(fromYaml.policy, RetentionPolicy(keepWithin: try KeepDuration("30d"), keepTagged: true))
        var decided = decisions(fromYaml)
        XCTAssertEqual(decided[pinned.id]?.reasons, ["newest", "within 30d", "pinned by working tree"])
        XCTAssertEqual(decided[crafted[0].id]?.reasons, ["tag audit"])
        XCTAssertEqual(decided[crafted[2].id]?.reasons, ["tag doomed"])
        XCTAssertEqual(decided[crafted[3].id]?.reasons, ["within 30d"])
        XCTAssertEqual(fromYaml.removedSnapshots, 1)
        XCTAssertEqual(fromYaml.profiles.map(\.profile), ["ug"], "qa has no records")

        // Flags override each setting: another duration, and --no-keep-tagged.
        let (overridden, _) = try Self.prune(["--dry-run", "--keep-within", "45d", "--no-keep-tagged"], in: harness)
        XCTAssertEqual(overridden.policy, RetentionPolicy(keepWithin: try KeepDuration("45d"), keepTagged: false))
        decided = decisions(overridden)
        XCTAssertEqual(decided[crafted[2].id]?.reasons, ["within 45d"])
        XCTAssertEqual(Set(decided.values.filter { !$0.kept }.map(\.id)), [crafted[0].id, crafted[1].id])
        XCTAssertEqual(overridden.profiles[0].removedTags, ["audit"])

        // A profile without records: nothing to do.
        let (empty, _) = try Self.prune(["qa", "--keep-last", "1"], in: harness)
        XCTAssertEqual(empty.profiles.map(\.profile), ["qa"])
        XCTAssertEqual(empty.profiles[0].snapshots, [])
        XCTAssertEqual(harness.dpm("prune", "qa", "--keep-last", "1").stdout.contains("qa: no snapshots in the store; nothing to do."), true)

        // Killed after the first snapshot's tags, before its record: the tag is gone, the record there.
        let killed = harness.dpm(["prune", "--no-keep-tagged", "--keep-within", "45d"], environment: ["DPM_STOP_AT": "prune.before-record"])
        XCTAssertNotEqual(killed.status, 0)
        XCTAssertNotNil(harness.read(".dpm/store/\(StoreLayout.snapshotKey(profile: "ug", id: crafted[0].id))"), "the oldest is the first removed")
        XCTAssertNil(harness.read(".dpm/store/tags/ug/audit.json"), "its tag went first: no tag ever names a missing snapshot")
        XCTAssertEqual(try Self.log("ug", in: harness).snapshots.count, 5)
        let (finished, _) = try Self.prune(["--no-keep-tagged", "--keep-within", "45d"], in: harness)
        XCTAssertEqual(finished.removedSnapshots, 2)
        XCTAssertEqual(Set(try Self.log("ug", in: harness).snapshots.map(\.id)), [pinned.id, crafted[2].id, crafted[3].id])
        XCTAssertNotNil(harness.read(".dpm/store/tags/ug/doomed.json"), "a kept snapshot keeps its tag")
    }

    /// While prune decides, an upload adds a record (never seen, so never removed) and a pin moves
    /// the manifest to a snapshot prune had chosen to remove (read again before removing: kept).
    func testAnUploadAndAPinWhilePruneRunsAreRespected() throws {
        try Fixture.create(in: harness)
        XCTAssertEqual(harness.dpm("profile", "create", "ug", "--kind", "shared").status, 0)
        var upload = harness.dpm("upload", "ug", "--no-media")
        XCTAssertEqual(upload.status, 0, upload.stderr)
        let first = try VerifyTests.manifest("ug", in: harness)
        let store = try LocalStoreAccess.open(harness.store)
        let repinned = try Self.craft(first, daysAgo: 100, message: "pinned meanwhile", in: store)
        let doomed = try Self.craft(first, daysAgo: 50, message: "doomed", in: store)

        let prune = BackgroundDPM(harness: harness, arguments: ["prune", "--keep-last", "1", "--json"],
                                  environment: ["DPM_PAUSE_AT": "prune.before-removals:15"])
        try prune.waitForStderr(containing: "Pausing at prune.before-removals", seconds: 60)
        upload = harness.dpm("upload", "ug", "--no-media", "-m", "meanwhile")
        XCTAssertEqual(upload.status, 0, upload.stderr)
        let added = try VerifyTests.manifest("ug", in: harness)
        XCTAssertEqual(harness.dpm("pin", "ug", repinned.id).status, 0)
        let run = prune.wait()
        XCTAssertEqual(run.status, 0, run.stderr)
        let report = try JSONDecoder().decode(PruneReport.self, from: Data(run.stdout.utf8))
        let decided = decisions(report)
        XCTAssertNil(decided[added.id], "a record made after the listing is not decided about")
        XCTAssertEqual(decided[first.id]?.reasons, ["last 1"])
        XCTAssertEqual(decided[repinned.id]?.reasons, ["pinned by working tree"])
        XCTAssertEqual(report.profiles.first?.snapshots.filter { !$0.kept }.map(\.id), [doomed.id])
        XCTAssertEqual(Set(try Self.log("ug", in: harness).snapshots.map(\.id)), [first.id, repinned.id, added.id])
    }

    /// Records and tags are not encrypted, so prune needs no identity; without one that opens the
    /// store only the media files (named by the sealed media index) go uncounted in the sizes.
    func testAnEncryptedStoreIsPrunedWithOrWithoutAnIdentity() throws {
        let F = EncryptedStoreFixture.self
        try F.createSource(in: harness)
        let alice = try F.person("alice", in: harness)
        XCTAssertEqual(harness.dpm("key", "add", alice.recipient).status, 0)
        XCTAssertEqual(harness.dpm("profile", "create", "ug", "--kind", "shared").status, 0)
        let upload = harness.dpm(["upload", "ug"], environment: alice.environment)
        XCTAssertEqual(upload.status, 0, upload.stderr)
        let pinned = try VerifyTests.manifest("ug", in: harness)
        XCTAssertEqual(pinned.objectIDs, "hmac-sha256")
        let old = try Self.craft(pinned, daysAgo: 100, message: "old", in: try LocalStoreAccess.open(harness.store))

        let (withKey, notes) = try Self.prune(["--keep-last", "1", "--dry-run"], in: harness, environment: alice.environment)
        XCTAssertTrue(withKey.mediaCounted)
        XCTAssertFalse(notes.contains("Media files"), notes)
        let counted = try XCTUnwrap(decisions(withKey)[old.id]?.newlyStored)
        let eve = try F.person("eve", in: harness)
        let (withoutKey, eveNotes) = try Self.prune(["--keep-last", "1", "--dry-run"], in: harness, environment: eve.environment)
        XCTAssertFalse(withoutKey.mediaCounted)
        XCTAssertTrue(eveNotes.contains("Media files and chunks are not counted in the sizes: Your identity (\(eve.recipient)) cannot open the store"), eveNotes)
        XCTAssertLessThan(try XCTUnwrap(decisions(withoutKey)[old.id]?.newlyStored), counted, "the media files are left out")
        XCTAssertEqual(decisions(withoutKey).mapValues(\.kept), decisions(withKey).mapValues(\.kept))
        let (removed, _) = try Self.prune(["--keep-last", "1"], in: harness, environment: eve.environment)
        XCTAssertEqual(removed.removedSnapshots, 1)
        XCTAssertEqual(try Self.log("ug", in: harness, environment: alice.environment).snapshots.map(\.id), [pinned.id])
    }

    func testRefusalsAreOneSentenceAndRemoveNothing() throws {
        try Fixture.create(in: harness)
        XCTAssertEqual(harness.dpm("profile", "create", "ug", "--kind", "shared").status, 0)
        let upload = harness.dpm("upload", "ug", "--no-media")
        XCTAssertEqual(upload.status, 0, upload.stderr)
        _ = try Self.craft(try VerifyTests.manifest("ug", in: harness), daysAgo: 10, message: "old", in: try LocalStoreAccess.open(harness.store))
        let duration = "takes a duration such as 90d, 12h, 2w or 1y6m (whole numbers, each with a unit, largest first: y = 365 days, m = 30 days, w = 7 days, d = days, h = hours; no minutes)"
        let refusals: [([String], String)] = [
            (["prune"], "dpm prune removes nothing without a rule of what to keep: give --keep-last N, --keep-within DURATION or --keep-tagged (or set retention: in dpm.yaml)."),
            (["prune", "--no-keep-tagged"], "dpm prune removes nothing without a rule of what to keep"),
            (["prune", "--keep-last", "-1"], "--keep-last takes how many of each profile's newest snapshots to keep, a whole number of 0 or more (like --keep-last 5), not \"-1\"."),
            (["prune", "--keep-within", "-2d"], "not \"-2d\"."),
            (["prune", "--keep-last=-1"], "--keep-last takes how many of each profile's newest snapshots to keep, a whole number of 0 or more (like --keep-last 5), not \"-1\"."),
            (["prune", "--keep-last", "two"], "not \"two\"."),
            (["prune", "--keep-within", "30min"], "--keep-within \(duration), not \"30min\"."),
            (["prune", "--keep-within", "1d1y"], "not \"1d1y\"."),
            (["prune", "--keep-within", "90"], "not \"90\"."),
            (["prune", "nosuch", "--keep-last", "1"], "There is no profile \"nosuch\" (known profiles: clean-db, ug)."),
            (["prune", "Bad", "--keep-last", "1"], "\"Bad\" is not a valid profile name"),
            (["prune", "clean-db", "--keep-last", "1"], "The clean profile clean-db lives in git, not in the store, so it has no snapshot records to prune; its history is git's."),
        ]
        for (arguments, sentence) in refusals {
            let run = try harness.assertRefused(arguments, says: sentence)
            XCTAssertEqual(run.status, 1, "\(arguments)")
        }
        let yaml = try XCTUnwrap(String(data: XCTUnwrap(harness.read("dpm.yaml")), encoding: .utf8))
        try harness.write(yaml + "retention:\n  keep_lats: 1\n", to: "dpm.yaml")
        try harness.assertRefused(["prune", "--keep-last", "1"], says: "dpm.yaml line ")
        try harness.assertRefused(["prune", "--keep-last", "1"], says: "unknown setting \"retention.keep_lats\" (known: keep_last, keep_within, keep_tagged).")
        try harness.write(yaml + "retention:\n  keep_within: 30 days\n", to: "dpm.yaml")
        try harness.assertRefused(["prune"], says: "retention.keep_within \(duration), not \"30 days\".")
        try harness.write(yaml, to: "dpm.yaml")
        // A manifest that names no snapshot could pin any: nothing goes.
        try harness.write("not a manifest\n", to: "profiles/ug/manifest.json")
        try harness.assertRefused(["prune", "--keep-last", "0"], says: "profiles/ug/manifest.json names no snapshot id, so prune cannot tell which snapshot it pins")
        // Without git, the branches cannot be read: nothing goes.
        try harness.write("{\"id\": \"20260101T000000Z-aaaaaa\"}\n", to: "profiles/ug/manifest.json")
        try harness.assertRefused(["prune", "--keep-last", "0"], environment: ["PATH": "/nonexistent"],
                                  says: "git is not installed (or not on PATH), so prune cannot tell which snapshots the branches pin; nothing was removed.")
        XCTAssertEqual(try Self.log("ug", in: harness).snapshots.count, 2)
    }
}
