import Foundation
import XCTest

extension Harness {
    /// Runs dpm, expecting failure with a single-line error containing `expected`, nothing on
    /// stdout, and no change of state (files of the project, store and media, and databases).
    /// Returns the run, for the checks a test adds (its exit status, what it must not say).
    @discardableResult
    func assertRefused(_ arguments: [String], environment: [String: String] = [:], in directory: String? = nil,
                       says expected: String, file: StaticString = #filePath, line: UInt = #line) throws -> Run {
        let before = try stateFingerprint()
        let run = dpm(arguments, environment: environment, in: directory)
        XCTAssertNotEqual(run.status, 0, "exit status", file: file, line: line)
        XCTAssertTrue(run.stderr.hasPrefix("error: "), run.stderr, file: file, line: line)
        XCTAssertEqual(run.stderr.filter { $0 == "\n" }.count, 1, "one line: \(run.stderr)", file: file, line: line)
        XCTAssertTrue(run.stderr.contains(expected), "expected \(expected) in: \(run.stderr)", file: file, line: line)
        XCTAssertEqual(run.stdout, "", file: file, line: line)
        XCTAssertEqual(try stateFingerprint(), before, "state changed", file: file, line: line)
        return run
    }
}
