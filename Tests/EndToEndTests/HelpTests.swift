import Foundation
import XCTest

/// Help is the argument parser's to print, for every command, both ways of asking.
final class HelpTests: XCTestCase {
    func testEveryCommandHasHelp() throws {
        let harness = try Harness()
        defer { harness.tearDown() }
        for command in ["init", "profile", "upload", "log", "pin", "tag", "restore", "use", "undo", "stash", "attach", "detach", "cache", "cleanup",
                        "migrate", "migrations", "transform", "rehearse", "squash", "status", "key", "verify", "prune", "gc"] {
            for arguments in [["help", command], [command, "--help"]] {
                let run = harness.dpm(arguments)
                XCTAssertEqual(run.status, 0, "dpm \(arguments.joined(separator: " ")): \(run.stderr)")
                XCTAssertTrue(run.stdout.contains("USAGE: dpm \(command)"), "dpm \(arguments.joined(separator: " ")): \(run.stdout)")
            }
        }
    }
}
