import DatasetKit
import Foundation
import XCTest

/// `dpm restore --force` killed at any moment leaves the target with its old or its new
/// content (and the media folder to match), the next command repairs what is half done, a
/// media folder that cannot be swapped never costs the database, and restore takes the
/// project lock and records what it put in the working database.
final class RestoreSwapTests: XCTestCase {
    private var harness: Harness!

    override func setUpWithError() throws {
        harness = try Harness()
        // A TMPDIR of the test's own: scratch folders of other dpm runs on this machine are not this test's.
        scratch = NSTemporaryDirectory() + "restore-tmp-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
        try Fixture.create(in: harness)
        try Fixture.createMedia(in: harness)
        harness.dpm("profile", "create", "a", "--kind", "shared")
        harness.dpm("profile", "create", "b", "--kind", "shared")
        XCTAssertEqual(harness.dpm("upload", "a").status, 0)
        try harness.psql("DELETE FROM orders WHERE id > 100; INSERT INTO audit_log (entry) SELECT 'b ' || i FROM generate_series(1, 20000) i")
        try FileManager.default.removeItem(atPath: "\(harness.media)/readme.txt")
        try harness.write("only in b", to: "media/b.txt")
        XCTAssertEqual(harness.dpm("upload", "b").status, 0)
    }

    private var scratch: String!

    override func tearDown() {
        harness?.tearDown()
        if let scratch { try? FileManager.default.removeItem(atPath: scratch) }
    }

    /// Starts dpm without waiting for it.
    private func start(_ arguments: [String], environment: [String: String] = [:]) throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Harness.binary)
        process.arguments = arguments
        process.currentDirectoryURL = URL(fileURLWithPath: harness.root)
        process.environment = ProcessInfo.processInfo.environment.merging(["DPM_REFILL": "off", "TMPDIR": scratch]) { $1 }.merging(environment) { $1 }
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        return process
    }

    func testRestoreKilledAtTwentyMomentsLeavesOldOrNewAndTheNextCommandRepairs() throws {
        XCTAssertEqual(harness.dpm("restore", "a", "--force").status, 0)
        let digestA = try harness.contentDigest(), mediaA = Fixture.mediaFingerprint(harness.media)
        let timed = Date()
        XCTAssertEqual(harness.dpm("restore", "b", "--force").status, 0)
        let duration = Date().timeIntervalSince(timed)
        let digestB = try harness.contentDigest(), mediaB = Fixture.mediaFingerprint(harness.media)
        XCTAssertNotEqual(digestA, digestB)

        let steps = ["restore.before-swap", "restore.between-renames", "restore.after-swap", "restore.before-drop"]
        var outcomes: Set<String> = []
        for round in 0..<20 {
            let holdsA = try harness.contentDigest() == digestA
            let next = holdsA ? "b" : "a"
            let moment: String
            if round < steps.count * 2 {
                let step = steps[round % steps.count]
                moment = step
                let killed = harness.dpm("restore", next, "--force", environment: ["DPM_STOP_AT": step, "TMPDIR": scratch])
                XCTAssertEqual(killed.status, SIGKILL, "\(step): \(killed.stderr)")
            } else {
                let delay = Double(round - steps.count * 2 + 1) / 12 * duration
                moment = String(format: "after %.3f s", delay)
                let process = try start(["restore", next, "--force"])
                usleep(useconds_t(delay * 1_000_000))
                kill(process.processIdentifier, SIGKILL)
                process.waitUntilExit()
            }
            XCTAssertTrue(try harness.databaseExists(harness.database), "\(moment): the working database exists")
            let digest = try harness.contentDigest()
            XCTAssertTrue(digest == digestA || digest == digestB, "\(moment): old or new content, nothing else")

            let status = harness.dpm(["status"], environment: ["TMPDIR": scratch])
            XCTAssertEqual(status.status, 0, status.stderr)
            XCTAssertFalse(status.stdout.contains("dropdb"), "\(moment): \(status.stdout)")
            XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: scratch), [], "\(moment): the restore's scratch went with it")
            XCTAssertFalse(status.stdout.contains("Leftover:"), "\(moment): the next command left nothing half done: \(status.stdout)")
            XCTAssertEqual(try harness.databases(), [harness.database], "\(moment): no restoring or retired database left")
            XCTAssertFalse(FileManager.default.fileExists(atPath: "\(harness.root)/.dpm/restore.json"), moment)
            XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: harness.root).filter { $0.contains(".dpm-") }, [],
                           "\(moment): no staging or retired media folder left")
            let after = try harness.contentDigest()
            XCTAssertTrue(after == digestA || after == digestB, moment)
            XCTAssertEqual(Fixture.mediaFingerprint(harness.media), after == digestA ? mediaA : mediaB, "\(moment): media matches the database")
            outcomes.insert(after == digestA ? "a" : "b")
        }
        XCTAssertEqual(outcomes.count, 2, "some kills left the old content, some the new")
    }

    func testHalfDoneSwapOfAnOlderDpmIsRenamedBackNotAdvisedForDropping() throws {
        let digest = try harness.contentDigest()
        // What dpm 0.1 left when killed between its two renames.
        let retired = harness.database + "__dpm_old_0123abcd"
        try harness.psql("ALTER DATABASE \"\(harness.database)\" RENAME TO \"\(retired)\"", in: "postgres")
        let status = harness.dpm("status")
        XCTAssertEqual(status.status, 0, status.stderr)
        XCTAssertFalse(status.stdout.contains("dropdb"), status.stdout)
        XCTAssertTrue(status.stderr.contains("Repaired an interrupted restore: \(harness.database) was missing"), status.stderr)
        XCTAssertEqual(try harness.databases(), [harness.database])
        XCTAssertEqual(try harness.contentDigest(), digest)

        // Two candidates: dpm cannot know which is the one, so it renames neither and says how.
        try harness.psql("ALTER DATABASE \"\(harness.database)\" RENAME TO \"\(retired)\"", in: "postgres")
        try harness.psql("CREATE DATABASE \"\(harness.database)__dpm_old_4567cdef\"", in: "postgres")
        let unsure = harness.dpm("status")
        XCTAssertTrue(unsure.stdout.contains("may be its only copy"), unsure.stdout)
        XCTAssertTrue(unsure.stdout.contains("dpm cleanup keeps it"), unsure.stdout)
        XCTAssertFalse(unsure.stdout.contains("dropdb"), unsure.stdout)
        XCTAssertEqual(harness.dpm("cleanup").status, 0)
        XCTAssertTrue(try harness.databaseExists(retired), "cleanup never drops a possible only copy")
        let line = try XCTUnwrap(unsure.stdout.split(separator: "\n").first { $0.contains(retired) && $0.contains("psql ") })
        let command = String(line[line.range(of: "psql ")!.lowerBound...]).trimmingCharacters(in: CharacterSet(charactersIn: ")"))
        let ran = harness.command("sh", ["-c", command])
        XCTAssertEqual(ran.status, 0, "the printed command works as printed: \(command) \(ran.stderr)")
        XCTAssertEqual(try harness.contentDigest(), digest)
    }

    func testMediaSwapThatFailsAfterTheDatabaseSwapRollsTheDatabaseBack() throws {
        // An append-only folder lets the staging folder be made inside it, but nothing in it be renamed.
        let box = "\(harness.root)/box"
        try harness.write("old media", to: "box/media/old.txt")
        guard harness.command("chattr", ["+a", box]).status == 0 else {
            throw XCTSkip("chattr +a is not permitted here (needs CAP_LINUX_IMMUTABLE on ext4/xfs/btrfs).")
        }
        defer { harness.command("chattr", ["-a", box]) }
        XCTAssertEqual(harness.dpm("restore", "a", "--force", "--media-dir", "media").status, 0)
        let digest = try harness.contentDigest()
        let media = Fixture.mediaFingerprint("\(box)/media")

        let run = harness.dpm("restore", "b", "--force", "--media-dir", box + "/media")
        XCTAssertEqual(run.status, 1, run.stderr)
        XCTAssertTrue(run.stderr.contains("was given back its previous content"), run.stderr)
        XCTAssertEqual(try harness.contentDigest(), digest, "the database was rolled back")
        XCTAssertEqual(Fixture.mediaFingerprint("\(box)/media"), media)
        XCTAssertEqual(try harness.databases(), [harness.database])
        let status = harness.dpm("status")
        XCTAssertFalse(status.stdout.contains("Leftover:  database"), status.stdout)
    }

    func testMountPointAsMediaFolderIsRefusedBeforeTheDatabaseIsTouched() throws {
        var parent = stat(), shm = stat()
        guard stat("/dev", &parent) == 0, stat("/dev/shm", &shm) == 0, parent.st_dev != shm.st_dev else {
            throw XCTSkip("/dev/shm is not a mount point here.")
        }
        let before = try harness.stateFingerprint()
        let run = harness.dpm("restore", "a", "--force", "--media-dir", "/dev/shm")
        defer {
            for entry in (try? FileManager.default.contentsOfDirectory(atPath: "/dev")) ?? [] where entry.hasPrefix(".shm.dpm-") {
                try? FileManager.default.removeItem(atPath: "/dev/\(entry)")
            }
        }
        XCTAssertEqual(run.status, 1)
        XCTAssertTrue(run.stderr.contains("is a mount point"), run.stderr)
        XCTAssertEqual(run.stderr.filter { $0 == "\n" }.count, 1, run.stderr)
        XCTAssertEqual(try harness.stateFingerprint(), before)
    }

    func testRegularFileAsMediaDirIsRefusedWithOrWithoutForce() throws {
        try harness.write("precious", to: "notes.txt")
        for force in [[], ["--force"]] {
            let before = try harness.stateFingerprint()
            let run = harness.dpm(["restore", "a", "--into", harness.prefix + "_other", "--media-dir", "notes.txt"] + force)
            XCTAssertEqual(run.status, 1, "\(force)")
            XCTAssertTrue(run.stderr.contains("notes.txt is not a folder"), run.stderr)
            XCTAssertEqual(run.stderr.filter { $0 == "\n" }.count, 1, run.stderr)
            XCTAssertEqual(harness.read("notes.txt"), Data("precious".utf8), "\(force): the file is untouched")
            XCTAssertEqual(try harness.stateFingerprint(), before, "\(force): nothing changed")
        }
    }

    func testRestoreTakesTheProjectLockAndStatusKnowsWhatItRestored() throws {
        try FileManager.default.createDirectory(atPath: "\(harness.root)/.dpm", withIntermediateDirectories: true)
        let holder = Process()
        holder.executableURL = URL(fileURLWithPath: "/usr/bin/flock")
        holder.arguments = ["\(harness.root)/.dpm/lock", "sleep", "3"]
        try holder.run()
        usleep(300_000)
        let started = Date()
        let run = harness.dpm("restore", "a", "--force")
        holder.waitUntilExit()
        XCTAssertEqual(run.status, 0, run.stderr)
        XCTAssertTrue(run.stderr.contains("Waiting for another dpm command in this project to finish"), run.stderr)
        XCTAssertGreaterThan(Date().timeIntervalSince(started), 2, "restore waited for the lock")

        let snapshot = try CanonicalJSON.decode(Snapshot.self, from: XCTUnwrap(harness.read("profiles/a/manifest.json")), what: "m")
        let status = harness.dpm("status")
        XCTAssertFalse(status.stdout.contains("replaced outside dpm"), status.stdout)
        XCTAssertTrue(status.stdout.contains("Active:    a \(snapshot.id)"), status.stdout)
        let json = try JSONDecoder().decode(ProjectStatus.self, from: Data(harness.dpm("status", "--json").stdout.utf8))
        XCTAssertEqual(json.local?.active?.profile, "a")
        XCTAssertEqual(json.local?.active?.snapshot, snapshot.id)
        XCTAssertEqual(json.local?.notes, [])
        let state = try JSONDecoder().decode(LocalState.self, from: XCTUnwrap(harness.read(".dpm/state.json")))
        XCTAssertEqual(state.active?.snapshot, snapshot.id)

        // After a use and a restore on top, status still tells the truth.
        XCTAssertEqual(harness.dpm("use", "b").status, 0)
        XCTAssertEqual(harness.dpm("restore", "a", "--force").status, 0)
        let again = try JSONDecoder().decode(ProjectStatus.self, from: Data(harness.dpm("status", "--json").stdout.utf8))
        XCTAssertEqual(again.local?.active?.profile, "a")
        XCTAssertEqual(again.local?.notes, [])
    }
}
