import DatasetKit
import Foundation
import XCTest

/// With DPM_TEST_TRANSCRIPT=FOLDER, every dpm run of a test is appended to FOLDER/<test>.txt
/// (arguments, exit status, stdout, stderr; the scratch folder and database prefix replaced by
/// placeholders), so the user-visible output of two builds can be diffed: a refactor must not
/// change a word.
enum Transcript {
    private static let folder: String? = {
        guard let folder = ProcessInfo.processInfo.environment["DPM_TEST_TRANSCRIPT"], !folder.isEmpty else { return nil }
        try? FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        XCTestObservationCenter.shared.addTestObserver(CurrentTest.observer)
        return folder
    }()

    static func start() { _ = folder }

    static func record(_ arguments: [String], _ run: Harness.Run, root: String, prefix: String) {
        guard let folder else { return }
        // The observer starts within the first test, after that test was announced.
        let test = CurrentTest.observer.name.current ?? "first-test"

        let entry = "$ dpm \(arguments.joined(separator: " "))\n[exit \(run.status)]\n--- stdout\n\(run.stdout)\n--- stderr\n\(run.stderr)\n\n"
        let text = entry.replacingOccurrences(of: root, with: "<ROOT>").replacingOccurrences(of: prefix, with: "<DB>")
        let path = "\(folder)/\(test.filter { $0.isLetter || $0.isNumber || $0 == "." }).txt"
        if !FileManager.default.fileExists(atPath: path) { _ = FileManager.default.createFile(atPath: path, contents: nil) }
        guard let handle = FileHandle(forWritingAtPath: path) else { return }
        defer { try? handle.close() }
        _ = try? handle.seekToEnd()
        try? handle.write(contentsOf: Data(text.utf8))
    }
}

/// Remembers which test is running, for the transcript's file names.
private final class CurrentTest: NSObject, XCTestObservation, @unchecked Sendable {
    static let observer = CurrentTest()
    let name = Locked<String?>(nil)

    func testCaseWillStart(_ testCase: XCTestCase) { name.withValue { $0 = testCase.name } }
    func testCaseDidFinish(_ testCase: XCTestCase) { name.withValue { $0 = nil } }
}
