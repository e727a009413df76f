@testable import DatasetKit
import Foundation
import XCTest

/// The pure parts of `dpm prune`: DURATION, the retention settings of dpm.yaml and the
/// flags, the keep decision, and the pins of every git ref (against a real git repository).
final class PruneUnitTests: XCTestCase {
    private var folder = ""

    override func setUpWithError() throws {
        folder = NSTemporaryDirectory() + "dpm-prune-unit-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    }

    override func tearDown() { try? FileManager.default.removeItem(atPath: folder) }

    // MARK: DURATION

    func testDurationsAreWholeNumbersWithUnitsLargestFirst() throws {
        let day: Int64 = 86_400
        let cases: [(String, Int64)] = [
            ("90d", 90 * day), ("12h", 12 * 3_600), ("2w", 14 * day), ("1y6m", 365 * day + 180 * day), ("1y", 365 * day),
            ("30m", 900 * day), ("1y2m3w4d5h", 365 * day + 60 * day + 21 * day + 4 * day + 5 * 3_600), ("0d", 0), ("36h", 36 * 3_600),
            ("007d", 7 * day), ("999999h", 999_999 * 3_600),
        ]
        for (text, seconds) in cases {
            let duration = try KeepDuration(text)
            XCTAssertEqual(duration.seconds, seconds, text)
            XCTAssertEqual(duration.description, text, "reports use the user's own words")
        }
        for bad in ["", "d", "90", "90 d", " 90d", "90d ", "-1d", "+1d", "1.5d", "90D", "90days", "30min", "5s", "1d1y", "1d1d", "6m1y",
                    "1y 6m", "1000000h", "ninety", "1e3d", "٣d"] {
            XCTAssertThrowsError(try KeepDuration(bad), bad) { error in
                XCTAssertEqual((error as? DPMError)?.kind, .invalidInput)
                XCTAssertEqual(error.userMessage, "--keep-within takes a duration such as 90d, 12h, 2w or 1y6m (whole numbers, each with a unit, largest first: y = 365 days, m = 30 days, w = 7 days, d = days, h = hours; no minutes), not \"\(bad)\".")
            }
        }
    }

    func testWithinCountsBackFromNowAndKeepsTheFuture() throws {
        let now = Date(timeIntervalSince1970: 1_800_000_000)
        let within = try KeepDuration("2d")
        XCTAssertTrue(within.contains(now, now: now))
        XCTAssertTrue(within.contains(now.addingTimeInterval(-2 * 86_400), now: now), "the boundary is in")
        XCTAssertFalse(within.contains(now.addingTimeInterval(-2 * 86_400 - 1), now: now))
        XCTAssertTrue(within.contains(now.addingTimeInterval(3_600), now: now), "a clock ahead of ours")
    }

    // MARK: settings

    private func load(_ yaml: String) throws -> ProjectConfig {
        let path = "\(folder)/dpm.yaml"
        try Data(yaml.utf8).write(to: URL(fileURLWithPath: path))
        return try ProjectConfig.load(path: path, overrides: ProjectOverrides(), connectionStrings: UnparsableStrings())
    }

    private func refusal(_ yaml: String) -> String {
        do { _ = try load(yaml); return "no error" } catch { return error.userMessage.replacingOccurrences(of: folder + "/", with: "") }
    }

    func testRetentionInDpmYamlIsReadAndMisspellingsRefused() throws {
        XCTAssertEqual(try load("store: file:s\n").retention, RetentionPolicy())
        XCTAssertTrue(try load("store: file:s\n").retention.isEmpty)
        let config = try load("store: file:s\nretention:\n  keep_last: 5\n  keep_within: 1y6m\n  keep_tagged: true\n")
        XCTAssertEqual(config.retention, RetentionPolicy(keepLast: 5, keepWithin: try KeepDuration("1y6m"), keepTagged: true))
        XCTAssertEqual(try load("retention:\n  keep_tagged: false\n").retention.isEmpty, true, "keep_tagged: false alone keeps nothing")
        XCTAssertEqual(try load("retention:\n  keep_last: 0\n").retention.isEmpty, false, "0 is a rule given on purpose")

        let refusals: [(String, String)] = [
            ("retention:\n  keep_lats: 5\n", "line 2: unknown setting \"retention.keep_lats\" (known: keep_last, keep_within, keep_tagged)."),
            ("retention:\n  keep_last: -1\n", "line 2: retention.keep_last must be a whole number of 0 or more"),
            ("retention:\n  keep_last: five\n", "line 2: retention.keep_last must be a whole number of 0 or more"),
            ("retention:\n  keep_last: 2.5\n", "line 2: retention.keep_last must be a whole number of 0 or more"),
            ("retention:\n  keep_within: 90 days\n", "line 2: retention.keep_within takes a duration such as 90d, 12h, 2w or 1y6m (whole numbers, each with a unit, largest first: y = 365 days, m = 30 days, w = 7 days, d = days, h = hours; no minutes), not \"90 days\"."),
            ("retention:\n  keep_tagged: yes please\n", "line 2: retention.keep_tagged must be true or false."),
            ("retention: 5\n", "line 1: \"retention\" must be a mapping of keep_last, keep_within and keep_tagged."),
            ("retentions:\n  keep_last: 5\n", "unknown setting \"retentions\""),
        ]
        for (yaml, expected) in refusals {
            let message = refusal(yaml)
            XCTAssertTrue(message.hasPrefix("dpm.yaml line"), message)
            XCTAssertTrue(message.contains(expected), "expected \(expected) in: \(message)")
        }
    }

    func testFlagsOverrideEachSettingOfTheYaml() throws {
        let yaml = RetentionPolicy(keepLast: 5, keepWithin: try KeepDuration("90d"), keepTagged: true)
        XCTAssertEqual(yaml.overridden(by: RetentionPolicy()), yaml)
        XCTAssertEqual(yaml.overridden(by: try RetentionPolicy.flags(keepLast: "2", keepWithin: nil, keepTagged: false)),
                       RetentionPolicy(keepLast: 2, keepWithin: try KeepDuration("90d"), keepTagged: false))
        XCTAssertEqual(RetentionPolicy().overridden(by: try RetentionPolicy.flags(keepLast: nil, keepWithin: "2w", keepTagged: nil)),
                       RetentionPolicy(keepWithin: try KeepDuration("2w")))
        XCTAssertEqual(try RetentionPolicy.flags(keepLast: "0", keepWithin: nil, keepTagged: nil).keepLast, 0)
        for bad in ["-1", "x", "", "1.0", "5 "] {
            XCTAssertThrowsError(try RetentionPolicy.flags(keepLast: bad, keepWithin: nil, keepTagged: nil)) {
                XCTAssertEqual($0.userMessage, "--keep-last takes how many of each profile's newest snapshots to keep, a whole number of 0 or more (like --keep-last 5), not \"\(bad)\".")
            }
        }
    }

    // MARK: the decision

    private let now = Date(timeIntervalSince1970: 1_800_000_000)

    /// Five records a day apart, the newest made an hour ago; ids are made from their times.
    private func candidates(tags: [Int: [String]] = [:], unreadable: Set<Int> = []) -> [PrunePlan.Candidate] {
        (0..<5).map { age in
            let date = now.addingTimeInterval(-3_600 - Double(age) * 86_400)
            return PrunePlan.Candidate(id: "\(SnapshotID.compactTimestamp(date))-00000\(age)", createdAt: unreadable.contains(age) ? nil : date,
                                       tags: tags[age] ?? [])
        }.shuffled()
    }

    private func kept(_ plan: PrunePlan) -> [Int] {
        plan.decisions.enumerated().filter { $0.element.kept }.map(\.offset)
    }

    func testEachRuleKeepsAndTheUnionDecides() throws {
        let all = candidates(tags: [3: ["contract-7", "audit"]])
        let byAge = all.sorted { $0.id > $1.id }.map(\.id)
        func plan(_ policy: RetentionPolicy, pins: [String: [String]] = [:]) -> PrunePlan { PrunePlan(all, policy: policy, pins: pins, now: now) }

        XCTAssertEqual(plan(RetentionPolicy(keepLast: 2)).decisions.map(\.id), byAge, "newest first")
        XCTAssertEqual(kept(plan(RetentionPolicy(keepLast: 2))), [0, 1])
        XCTAssertEqual(plan(RetentionPolicy(keepLast: 2)).decisions[0].reasons, ["last 2"])
        XCTAssertEqual(kept(plan(RetentionPolicy(keepLast: 9))), [0, 1, 2, 3, 4])
        XCTAssertEqual(kept(plan(RetentionPolicy(keepWithin: try KeepDuration("3d")))), [0, 1, 2], "an hour, a day and an hour, two days and an hour ago")
        XCTAssertEqual(kept(plan(RetentionPolicy(keepWithin: try KeepDuration("2d")))), [0, 1])
        XCTAssertEqual(plan(RetentionPolicy(keepWithin: try KeepDuration("2d"))).decisions[1].reasons, ["within 2d"])
        XCTAssertEqual(kept(plan(RetentionPolicy(keepTagged: true))), [0, 3], "the tagged one, and the newest")
        XCTAssertEqual(plan(RetentionPolicy(keepTagged: true)).decisions[0].reasons, ["newest"])
        XCTAssertEqual(plan(RetentionPolicy(keepTagged: true)).decisions[3].reasons, ["tag audit", "tag contract-7"])
        XCTAssertEqual(kept(plan(RetentionPolicy(keepTagged: false))), [0], "tags alone keep nothing without keep-tagged")
        XCTAssertEqual(kept(plan(RetentionPolicy(keepLast: 1, keepWithin: try KeepDuration("1d2h"), keepTagged: true))), [0, 1, 3])
        let union = plan(RetentionPolicy(keepLast: 2, keepWithin: try KeepDuration("1d"), keepTagged: true), pins: [byAge[0]: ["main", "working tree"], byAge[4]: ["origin/old"]])
        XCTAssertEqual(union.decisions[0].reasons, ["last 2", "within 1d", "pinned by main, working tree"])
        XCTAssertEqual(union.decisions[4].reasons, ["pinned by origin/old"])
        XCTAssertEqual(union.removed, [byAge[2]])
    }

    func testKeepLastZeroLeavesOnlyPinsAndUnreadableRecords() throws {
        let all = candidates(unreadable: [2])
        let byAge = all.sorted { $0.id > $1.id }.map(\.id)
        let plan = PrunePlan(all, policy: RetentionPolicy(keepLast: 0), pins: [byAge[3]: ["tag v1"]], now: now)
        XCTAssertEqual(kept(plan), [2, 3], "not even the newest, but a pinned and an unreadable record stay")
        XCTAssertEqual(plan.decisions[2].reasons, ["unreadable"])
        XCTAssertEqual(plan.decisions[3].reasons, ["pinned by tag v1"])
        XCTAssertEqual(plan.removed, [byAge[0], byAge[1], byAge[4]])
        XCTAssertEqual(kept(PrunePlan(all, policy: RetentionPolicy(keepWithin: try KeepDuration("0h")), pins: [:], now: now)), [0, 2],
                       "without keep-last, the newest stays")
        XCTAssertEqual(PrunePlan([], policy: RetentionPolicy(keepLast: 1), pins: [:], now: now).decisions, [])
    }

    // MARK: pins in git

    func testPinsOfEveryBranchTagRemoteAndTheWorkingTree() throws {
        let git = RealGit()
        let origin = "\(folder)/origin.git", root = "\(folder)/app"
        try git.check(["init", "-q", "--bare", origin], in: folder)
        try FileManager.default.createDirectory(atPath: "\(root)/profiles/ug", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: "\(root)/profiles/qa", withIntermediateDirectories: true)
        let project = Project(root: root, config: ProjectConfig())
        let pins = GitPins(git: git, project: project)
        let ug = try ProfileName("ug"), qa = try ProfileName("qa")
        XCTAssertEqual(try pins.pins(of: [ug]), GitPins.Pins(places: [:], repository: false, refs: 0), "not a repository yet")

        func pin(_ profile: String, _ id: String) throws {
            try Data("{\n  \"id\" : \"\(id)\"\n}\n".utf8).write(to: URL(fileURLWithPath: "\(root)/profiles/\(profile)/manifest.json"))
        }
        let ids = (1...6).map { "2026010\($0)T000000Z-aaaaa\($0)" }
        try git.check(["init", "-q"], in: root)
        try pin("ug", ids[0])
        try git.check(["add", "-A"], in: root)
        try git.check(["commit", "-q", "-m", "one"], in: root)
        try git.check(["tag", "-a", "-m", "annotated", "v1"], in: root)
        try git.check(["remote", "add", "origin", origin], in: root)
        try git.check(["checkout", "-q", "-b", "feature"], in: root)
        try pin("ug", ids[1])
        try git.check(["commit", "-q", "-am", "two"], in: root)
        try git.check(["push", "-q", "origin", "feature"], in: root)
        try git.check(["remote", "set-head", "origin", "feature"], in: root)
        try git.check(["checkout", "-q", "main"], in: root)
        try git.check(["branch", "-q", "-D", "feature"], in: root)
        try pin("ug", ids[2])
        try git.check(["commit", "-q", "-am", "three"], in: root)
        // A commit with conflict markers in its manifest pins both sides.
        try Data("<<<<<<< ours\n{\"id\": \"\(ids[3])\"}\n=======\n{\"id\": \"\(ids[4])\"}\n>>>>>>> theirs\n".utf8)
            .write(to: URL(fileURLWithPath: "\(root)/profiles/qa/manifest.json"))
        try git.check(["add", "-A"], in: root)
        try git.check(["commit", "-q", "-m", "conflicted"], in: root)
        try pin("qa", ids[5])

        let found = try pins.pins(of: [qa, ug])
        XCTAssertTrue(found.repository)
        XCTAssertEqual(found.refs, 3, "main, origin/feature and v1 (origin/HEAD is a symbolic ref)")
        XCTAssertEqual(found.places[ids[0]], ["tag v1"], "an annotated tag is peeled")
        XCTAssertEqual(found.places[ids[1]], ["origin/feature"], "a remote-tracking branch whose local branch is gone")
        XCTAssertEqual(found.places[ids[2]], ["main", "working tree"])
        XCTAssertEqual(found.places[ids[3]], ["main"])
        XCTAssertEqual(found.places[ids[4]], ["main"])
        XCTAssertEqual(found.places[ids[5]], ["working tree"], "an uncommitted pin counts")
        XCTAssertEqual(found.places.count, 6)

        try Data("not json\n".utf8).write(to: URL(fileURLWithPath: "\(root)/profiles/qa/manifest.json"))
        XCTAssertThrowsError(try pins.pins(of: [qa])) {
            XCTAssertEqual($0.userMessage, "profiles/qa/manifest.json names no snapshot id, so prune cannot tell which snapshot it pins; check it out from git as dpm wrote it (nothing was removed).")
        }
        XCTAssertThrowsError(try GitPins(git: MissingGit(), project: project).pins(of: [ug])) {
            XCTAssertEqual($0.userMessage, "git is not installed (or not on PATH), so prune cannot tell which snapshots the branches pin; nothing was removed.")
        }
    }
}

private struct MissingGit: GitRunner {
    func run(_ arguments: [String], input: Data?, in directory: String) throws -> GitOutput {
        throw DPMError.notFound("git is not installed (or not on PATH).")
    }
}
