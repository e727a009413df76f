@testable import DatasetKit
import Foundation
import XCTest

final class ScratchNamesTests: XCTestCase {
    func testOwnedNamesCarryThePidAndOthersAreNotMistakenForThem() {
        let name = ScratchNames.make("upload")
        XCTAssertEqual(ScratchNames.owner(ofScratch: name), getpid())
        XCTAssertEqual(ScratchNames.owner(ofScratch: ScratchNames.make("command") + ".log"), getpid())
        XCTAssertEqual(ScratchNames.owner(ofPartial: ScratchNames.partial()), getpid())
        for other in ["dpm-e2e-3AED93A0-5266-4A22-AA78-40B1BDD5F9DA", "dpm-test-cache.Ab12Cd", "dpm-upload-1a2b3c4d",
                      "dpm-out-5266.1", "dpm--12-1a2b3c4d", "dpm-upload-x-1a2b3c4d", "dpm-upload-12-1a2b3c4"] {
            XCTAssertNil(ScratchNames.owner(ofScratch: other), other)
        }
        XCTAssertTrue(ScratchNames.isUnownedScratch("dpm-upload-1a2b3c4d"))
        XCTAssertTrue(ScratchNames.isUnownedScratch("dpm-command-1a2b3c4d.log"))
        XCTAssertFalse(ScratchNames.isUnownedScratch("dpm-e2e-1a2b3c4d"))
        XCTAssertTrue(ScratchNames.isRunningDPM(getpid()))
    }

    /// Any live process may be a dpm under another name; only a pid nobody has is gone.
    func testALiveProcessOfAnyNameKeepsItsScratchAndAnEndedOneDoesNot() throws {
        let sleeper = Process()
        sleeper.executableURL = URL(fileURLWithPath: "/bin/sleep")
        sleeper.arguments = ["30"]
        try sleeper.run()
        let pid = sleeper.processIdentifier
        XCTAssertTrue(ScratchNames.isRunningDPM(pid), "a process called sleep")
        sleeper.terminate()
        sleeper.waitUntilExit()
        XCTAssertFalse(ScratchNames.isRunningDPM(pid), "its pid once it ended and was reaped")
    }

    func testPrintedCommandsAreShellQuoted() {
        XCTAssertEqual(ShellCommand.quoted("plain-name_1"), "plain-name_1")
        XCTAssertEqual(ShellCommand.quoted("o'brien db"), "'o'\\''brien db'")
        XCTAssertEqual(ShellCommand.quoted(""), "''")
        XCTAssertEqual(ShellCommand.identifier("a\"b"), "\"a\"\"b\"")
    }

    func testMediaDestinationParentByPlainStringSteps() {
        XCTAssertEqual(MediaDestination.parentFolder(of: "/a/b"), "/a")
        XCTAssertEqual(MediaDestination.parentFolder(of: "/a"), "/")
        XCTAssertNil(MediaDestination.parentFolder(of: "/"))
        XCTAssertEqual(MediaDestination.parentFolder(of: "x"), ".")
    }
}
