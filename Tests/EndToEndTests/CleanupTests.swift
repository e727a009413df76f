import DatasetKit
import Foundation
import XCTest

/// A killed upload leaves no running children, and what it left (scratch folders, partial
/// objects) is listed by `status` and removed by `dpm cleanup`, which never touches what a
/// running dpm uses; status lists only this project's databases, with commands that work as printed.
final class CleanupTests: XCTestCase {
    private var harness: Harness!
    private var scratch: String!

    override func setUpWithError() throws {
        harness = try Harness()
        // A TMPDIR of the test's own, so that only this test's dpm runs leave things in it.
        scratch = NSTemporaryDirectory() + "cleanup-tmp-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
    }

    override func tearDown() {
        harness?.tearDown()
        if let scratch { try? FileManager.default.removeItem(atPath: scratch) }
    }

    private var environment: [String: String] { ["TMPDIR": scratch] }

    private func start(_ arguments: [String], binary: String = Harness.binary) throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = arguments
        process.currentDirectoryURL = URL(fileURLWithPath: harness.root)
        process.environment = ProcessInfo.processInfo.environment.merging(["DPM_REFILL": "off"]) { $1 }.merging(environment) { $1 }
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        return process
    }

    /// Pids of processes whose command line mentions `text`.
    /// The pg_dump of an upload, streaming the data into dpm (its scratch folder exists by then).
    private static let streaming = "--format=custom --compress=0 --dbname="

    private func processes(mentioning text: String) -> [Int32] {
        ((try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []).compactMap { entry -> Int32? in
            guard let pid = Int32(entry), let data = FileManager.default.contents(atPath: "/proc/\(entry)/cmdline") else { return nil }
            let line = String(decoding: data.map { $0 == 0 ? 32 : $0 }, as: UTF8.self)
            return line.contains(text) ? pid : nil
        }
    }

    private func waitFor(_ seconds: Double, _ condition: () -> Bool) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if condition() { return true }
            usleep(5_000)
        }
        return condition()
    }

    /// A database big enough that pg_dump and storing take a while.
    private func bigProject() throws {
        try Fixture.create(in: harness)
        try harness.psql("CREATE TABLE blob AS SELECT i, repeat(md5(i::text), 12) AS t FROM generate_series(1, 500000) i")
        harness.dpm("profile", "create", "ug", "--kind", "shared")
    }

    func testKilledUploadLeavesNoRunningChildrenAndCleanupRemovesWhatItLeft() throws {
        try bigProject()
        // Killed while pg_dump streams the data into dpm: pg_dump dies with dpm.
        let upload = try start(["upload", "ug", "-j", "2"])
        XCTAssertTrue(waitFor(60) { !processes(mentioning: Self.streaming).isEmpty }, "pg_dump started")
        kill(upload.processIdentifier, SIGKILL)
        upload.waitUntilExit()
        XCTAssertTrue(waitFor(1) { processes(mentioning: Self.streaming).isEmpty && processes(mentioning: scratch).isEmpty },
                      "no pg_dump keeps running after dpm was killed: \(processes(mentioning: Self.streaming))")
        let left = try FileManager.default.contentsOfDirectory(atPath: scratch)
        XCTAssertFalse(left.isEmpty, "the killed upload left its dump folder")

        // Killed while storing objects: a partial object in the store's .tmp.
        let second = try start(["upload", "ug", "-j", "2"])
        XCTAssertTrue(waitFor(120) { !((try? FileManager.default.contentsOfDirectory(atPath: "\(harness.store)/.tmp")) ?? []).isEmpty },
                      "an object is being stored")
        kill(second.processIdentifier, SIGKILL)
        second.waitUntilExit()
        let partials = try FileManager.default.contentsOfDirectory(atPath: "\(harness.store)/.tmp")
        XCTAssertFalse(partials.isEmpty)

        let status = harness.dpm(["status"], environment: environment)
        for name in try FileManager.default.contentsOfDirectory(atPath: scratch) {
            XCTAssertTrue(status.stdout.contains("Leftover:  \(scratch!)/\(name) (scratch space of dpm process"), status.stdout)
        }
        for name in partials {
            XCTAssertTrue(status.stdout.contains("Leftover:  \(harness.store)/.tmp/\(name) (a partial object of dpm process"), status.stdout)
        }
        XCTAssertTrue(status.stdout.contains("Run dpm cleanup to remove"), status.stdout)

        let dryRun = harness.dpm(["cleanup", "--dry-run", "--json"], environment: environment)
        XCTAssertEqual(dryRun.status, 0, dryRun.stderr)
        let planned = try JSONDecoder().decode(CleanupResult.self, from: Data(dryRun.stdout.utf8))
        XCTAssertTrue(planned.dryRun)
        XCTAssertEqual(Set(planned.removed.map(\.name)),
                       Set(try FileManager.default.contentsOfDirectory(atPath: scratch).map { "\(scratch!)/\($0)" } + partials.map { "\(harness.store)/.tmp/\($0)" }))
        XCTAssertFalse(try FileManager.default.contentsOfDirectory(atPath: scratch).isEmpty, "a dry run removes nothing")

        let cleanup = harness.dpm(["cleanup"], environment: environment)
        XCTAssertEqual(cleanup.status, 0, cleanup.stderr)
        XCTAssertTrue(cleanup.stdout.contains("Removed: "), cleanup.stdout)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: scratch), [])
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: "\(harness.store)/.tmp"), [])
        XCTAssertFalse(harness.dpm(["status"], environment: environment).stdout.contains("Leftover:"))
        XCTAssertEqual(harness.dpm(["cleanup"], environment: environment).stdout, "Nothing to clean up.\n")
    }

    func testCleanupNeverTouchesWhatARunningDpmUses() throws {
        try bigProject()
        try cleanupDuringAnUpload(by: Harness.binary)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: scratch), [], "and removed its own scratch")
    }

    func testCleanupKeepsWhatADpmInstalledUnderAnotherNameUses() throws {
        try bigProject()
        let renamed = "\(harness.root)/bin/dpm-0.1.0"
        try FileManager.default.createDirectory(atPath: "\(harness.root)/bin", withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: Harness.binary, toPath: renamed)
        try cleanupDuringAnUpload(by: renamed)
    }

    /// `dpm cleanup` while `binary` uploads (pg_dump running) removes nothing of it, and the upload succeeds.
    private func cleanupDuringAnUpload(by binary: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let upload = try start(["upload", "ug", "-j", "2"], binary: binary)
        XCTAssertTrue(waitFor(60) { !processes(mentioning: Self.streaming).isEmpty }, "pg_dump started", file: file, line: line)
        let cleanup = harness.dpm(["cleanup", "--json"], environment: environment)
        XCTAssertEqual(cleanup.status, 0, cleanup.stderr, file: file, line: line)
        let result = try JSONDecoder().decode(CleanupResult.self, from: Data(cleanup.stdout.utf8))
        XCTAssertEqual(result.removed, [], "nothing of the running upload by \(binary)", file: file, line: line)
        upload.waitUntilExit()
        XCTAssertEqual(upload.terminationStatus, 0, "the upload finished undisturbed", file: file, line: line)
    }

    func testStatusListsOnlyThisProjectsLeftoversWithCommandsThatWork() throws {
        try Fixture.create(in: harness)
        // A second project on the same server, whose working database's name has a quote in it.
        let other = NSTemporaryDirectory() + "dpm-e2e-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: other, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: other) }
        let otherDatabase = harness.prefix + "_o'brien"
        XCTAssertEqual(harness.dpm(["init", "--database", "dbname='\(otherDatabase.replacingOccurrences(of: "'", with: "\\'"))'"], in: other).status, 0)
        try harness.psql("CREATE DATABASE \"\(otherDatabase)\"", in: "postgres")
        try harness.psql("CREATE TABLE t (x int); INSERT INTO t VALUES (42)", in: otherDatabase)

        // What older dpm versions left: an unlabelled partial restore beside each project's database.
        let mine = harness.database + "__dpm_restore_0123abcd"
        let theirs = otherDatabase + "__dpm_restore_4567cdef"
        for name in [mine, theirs] { try harness.psql("CREATE DATABASE \"\(name)\"", in: "postgres") }
        // And a labelled one of a third project.
        let third = harness.prefix + "_third__dpm_restore_89abcdef"
        try harness.psql("CREATE DATABASE \"\(third)\"", in: "postgres")
        try harness.psql("COMMENT ON DATABASE \"\(third)\" IS 'dpm {\"role\":\"restoring\",\"since\":\"x\",\"target\":\"\(harness.prefix)_third\",\"working\":\"\(harness.prefix)_third\"}'", in: "postgres")

        let status = harness.dpm("status")
        XCTAssertTrue(status.stdout.contains("Leftover:  database \(mine) (a partial restore an older or killed dpm restore was building); dpm cleanup removes it"), status.stdout)
        XCTAssertFalse(status.stdout.contains(theirs), status.stdout)
        XCTAssertFalse(status.stdout.contains(third), status.stdout)
        XCTAssertFalse(status.stdout.contains("nothing uses it"), status.stdout)
        XCTAssertFalse(status.stdout.contains("dropdb"), status.stdout)
        let json = try JSONDecoder().decode(ProjectStatus.self, from: Data(harness.dpm("status", "--json").stdout.utf8))
        XCTAssertEqual(json.database.leftovers, [mine])

        let otherStatus = harness.dpm(["status"], in: other)
        XCTAssertTrue(otherStatus.stdout.contains("Leftover:  database \(theirs) ("), otherStatus.stdout)
        XCTAssertFalse(otherStatus.stdout.contains(mine), otherStatus.stdout)
        XCTAssertEqual(harness.dpm(["cleanup"], in: other).status, 0)
        XCTAssertFalse(try harness.databaseExists(theirs))
        XCTAssertTrue(try harness.databaseExists(mine), "cleanup of one project leaves the other's alone")
        XCTAssertTrue(try harness.databaseExists(third))

        // The other project's working database half swapped away twice: the printed command, with
        // its connection options and quoting, brings it back as printed.
        try harness.psql("ALTER DATABASE \"\(otherDatabase)\" RENAME TO \"\(otherDatabase)__dpm_old_0123abcd\"", in: "postgres")
        try harness.psql("CREATE DATABASE \"\(otherDatabase)__dpm_old_4567cdef\"", in: "postgres")
        let unsure = harness.dpm(["status"], environment: ["PGHOST": "/nonexistent", "PGPORT": "1"].merging(connection()) { $1 }, in: other)
        let line = try XCTUnwrap(unsure.stdout.split(separator: "\n").first { $0.contains("__dpm_old_0123abcd (") && $0.contains("psql ") }, unsure.stdout)
        let command = String(line[line.range(of: "psql ")!.lowerBound...]).trimmingCharacters(in: CharacterSet(charactersIn: ")"))
        XCTAssertTrue(command.contains(" -h "), command)
        let ran = harness.run(command: command)
        XCTAssertEqual(ran.status, 0, "\(command): \(ran.stderr)")
        XCTAssertEqual(try harness.psql("SELECT x FROM t", in: otherDatabase), "42")
    }

    /// The test server's settings, passed in dpm.yaml's place so that the printed command must carry them.
    private func connection() -> [String: String] {
        let environment = ProcessInfo.processInfo.environment
        return ["DPM_DATABASE_URL": "host=\(environment["PGHOST"] ?? "") port=\(environment["PGPORT"] ?? "") user=\(environment["PGUSER"] ?? NSUserName()) dbname='\(harness.prefix)_o\\'brien'"]
    }
}

private extension Harness {
    /// Runs a shell command line with no PG* variables, so it works only if it says where to connect.
    func run(command: String) -> Run {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["-u", "PGHOST", "-u", "PGPORT", "-u", "PGUSER", "-u", "PGDATABASE", "sh", "-c", command]
        process.currentDirectoryURL = URL(fileURLWithPath: root)
        let output = NSTemporaryDirectory() + "dpm-out-\(UUID().uuidString)"
        _ = FileManager.default.createFile(atPath: output, contents: nil)
        defer { try? FileManager.default.removeItem(atPath: output) }
        process.standardOutput = FileHandle(forWritingAtPath: output)
        process.standardError = FileHandle(forWritingAtPath: output)
        do { try process.run() } catch { return Run(status: -1, stdout: "", stderr: "\(error)") }
        process.waitUntilExit()
        let text = String(decoding: FileManager.default.contents(atPath: output) ?? Data(), as: UTF8.self)
        return Run(status: process.terminationStatus, stdout: text, stderr: text)
    }
}
