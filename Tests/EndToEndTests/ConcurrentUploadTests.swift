import DatasetKit
import Foundation
import XCTest

/// Two uploads of one profile at once: the second to finish leaves the manifest to the
/// first and says how to pin its own snapshot (with dpm pin); a manifest that cannot be
/// written is told the same way.
final class ConcurrentUploadTests: XCTestCase {
    private var harness: Harness!

    override func setUpWithError() throws {
        harness = try Harness()
        try Fixture.create(in: harness)
        harness.dpm("profile", "create", "ug", "--kind", "shared")
        let uploaded = harness.dpm("upload", "ug")
        XCTAssertEqual(uploaded.status, 0, uploaded.stderr)
    }

    override func tearDown() { harness?.tearDown() }

    private func pinnedID() throws -> String {
        try JSONDecoder().decode(Snapshot.self, from: XCTUnwrap(harness.read("profiles/ug/manifest.json"))).id
    }

    private func records() throws -> Set<String> {
        Set(try FileManager.default.contentsOfDirectory(atPath: "\(harness.store)/snapshots/ug").map { String($0.dropLast(5)) })
    }

    /// The dpm command in `run "dpm …"` of an error, run as printed.
    private func runPinCommand(from message: String) throws {
        let start = try XCTUnwrap(message.range(of: "run \"dpm "), message).upperBound
        let end = try XCTUnwrap(message[start...].firstIndex(of: "\""), message)
        let arguments = message[start..<end].split(separator: " ").map(String.init)
        XCTAssertEqual(arguments.first, "pin", message)
        let ran = harness.dpm(arguments)
        XCTAssertEqual(ran.status, 0, "dpm \(arguments.joined(separator: " ")): \(ran.stderr)")
    }

    func testTheUploadThatFinishesSecondLeavesTheManifestAndSaysHowToPin() throws {
        let before = try records()
        try harness.psql("INSERT INTO audit_log (entry) VALUES ('slow upload')")
        // The slow upload waits just before it would write the manifest.
        let slow = BackgroundDPM(harness: harness, arguments: ["upload", "ug", "-m", "slow"],
                                 environment: ["DPM_PAUSE_AT": "upload.before-manifest:20"])
        try slow.waitForStderr(containing: "Pausing at upload.before-manifest", seconds: 90)

        try harness.psql("INSERT INTO audit_log (entry) VALUES ('fast upload')")
        let fast = harness.dpm("upload", "ug", "-m", "fast")
        XCTAssertEqual(fast.status, 0, fast.stderr)
        let fastID = try pinnedID()

        let finished = slow.wait()
        XCTAssertNotEqual(finished.status, 0, "the later upload says the manifest changed: \(finished.stderr)")
        let slowID = try XCTUnwrap(try records().subtracting(before).subtracting([fastID]).first, "the slow upload's snapshot stays in the store")
        XCTAssertEqual(try pinnedID(), fastID, "the manifest still pins the upload that finished first")
        let message = finished.stderr
        XCTAssertTrue(message.contains("Snapshot \(slowID) of ug is stored, but profiles/ug/manifest.json now pins \(fastID) while this upload ran"), message)
        XCTAssertTrue(message.contains("to pin \(slowID) instead, run \"dpm pin ug \(slowID)\"."), message)
        XCTAssertEqual(message.split(separator: "\n").filter { !$0.hasPrefix("Pausing") }.count, 1, message)

        // The printed command pins the slow upload's snapshot, and it restores.
        try runPinCommand(from: message)
        XCTAssertEqual(try pinnedID(), slowID)
        let target = harness.prefix + "_slow"
        let restored = harness.dpm("restore", "ug", "--into", target)
        XCTAssertEqual(restored.status, 0, restored.stderr)
        XCTAssertEqual(try harness.psql("SELECT count(*) FROM audit_log WHERE entry = 'slow upload'", in: target), "1")
        XCTAssertEqual(try harness.psql("SELECT count(*) FROM audit_log WHERE entry = 'fast upload'", in: target), "0")
    }

    func testAnUploadWhoseManifestCannotBeWrittenSaysWhichSnapshotItStored() throws {
        let before = try records()
        let manifest = "\(harness.root)/profiles/ug/manifest.json"
        // Tests run as root, for whom permissions do not stop a write: a folder in the
        // manifest's place does.
        try FileManager.default.removeItem(atPath: manifest)
        try FileManager.default.createDirectory(atPath: "\(manifest)/in-the-way", withIntermediateDirectories: true)
        let upload = harness.dpm("upload", "ug")
        XCTAssertNotEqual(upload.status, 0)
        let stored = try XCTUnwrap(try records().subtracting(before).first, "the snapshot is in the store")
        var message = upload.stderr.trimmingCharacters(in: .whitespacesAndNewlines)
        if message.hasPrefix("error: ") { message.removeFirst("error: ".count) }
        XCTAssertFalse(message.contains("\n"), message)
        XCTAssertTrue(message.hasPrefix("Snapshot \(stored) of ug is stored in file://"), message)
        XCTAssertTrue(message.contains("but profiles/ug/manifest.json could not be written"), message)

        try FileManager.default.removeItem(atPath: manifest)
        try runPinCommand(from: message)
        XCTAssertEqual(try pinnedID(), stored)
        let restored = harness.dpm("restore", "ug", "--into", harness.prefix + "_copy")
        XCTAssertEqual(restored.status, 0, restored.stderr)
    }
}

/// A dpm run in the background, its output in files the test can watch.
final class BackgroundDPM {
    private let process = Process()
    private let stdoutPath = NSTemporaryDirectory() + "dpm-bg-\(UUID().uuidString).1"
    private let stderrPath = NSTemporaryDirectory() + "dpm-bg-\(UUID().uuidString).2"

    init(harness: Harness, arguments: [String], environment: [String: String]) {
        _ = FileManager.default.createFile(atPath: stdoutPath, contents: nil)
        _ = FileManager.default.createFile(atPath: stderrPath, contents: nil)
        process.executableURL = URL(fileURLWithPath: Harness.binary)
        process.arguments = arguments
        process.currentDirectoryURL = URL(fileURLWithPath: harness.root)
        process.environment = ProcessInfo.processInfo.environment.merging(["DPM_REFILL": "off"]) { $1 }
            .merging(harness.environment) { $1 }.merging(environment) { $1 }
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = FileHandle(forWritingAtPath: stdoutPath)
        process.standardError = FileHandle(forWritingAtPath: stderrPath)
        try? process.run()
    }

    deinit {
        if process.isRunning { process.terminate() }
        try? FileManager.default.removeItem(atPath: stdoutPath)
        try? FileManager.default.removeItem(atPath: stderrPath)
    }

    var stderr: String { String(decoding: FileManager.default.contents(atPath: stderrPath) ?? Data(), as: UTF8.self) }

    /// For tests that stop and continue the process (SIGSTOP, SIGCONT).
    var pid: Int32 { process.processIdentifier }

    func waitForStderr(containing text: String, seconds: Double) throws {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if stderr.contains(text) { return }
            if !process.isRunning { break }
            usleep(50_000)
        }
        throw DPMError.internal("dpm did not print \"\(text)\" within \(Int(seconds)) s: \(stderr)")
    }

    func wait() -> Harness.Run {
        process.waitUntilExit()
        return Harness.Run(status: process.terminationStatus,
                           stdout: String(decoding: FileManager.default.contents(atPath: stdoutPath) ?? Data(), as: UTF8.self),
                           stderr: stderr)
    }
}
