import Foundation
import XCTest

/// On a terminal, progress is drawn on stderr in one line that every phase labels and every
/// message clears first; nothing of it is left in what the user reads.
final class TerminalProgressTests: XCTestCase {
    private var harness: Harness!

    override func setUpWithError() throws {
        harness = try Harness()
        try Fixture.create(in: harness)
        try Fixture.createMedia(in: harness)
        XCTAssertEqual(harness.dpm("profile", "create", "ug", "--kind", "shared").status, 0)
        XCTAssertEqual(harness.dpm("upload", "ug").status, 0)
    }

    override func tearDown() { harness?.tearDown() }

    func testProgressIsLabelledAndLeavesNoDebris() throws {
        for arguments in [["restore", "ug", "--into", harness.prefix + "_copy", "--media-dir", "\(harness.root)/copy-media"],
                          ["use", "ug"], ["upload", "ug", "-m", "again"]] {
            let run = harness.onTerminal(arguments)
            XCTAssertEqual(run.status, 0, "\(arguments): \(run.stdout)")
            let (lines, redraws) = Harness.screen(run.stdout)
            for draw in redraws {
                XCTAssertTrue(draw.first?.isLetter == true, "\(arguments): unlabelled progress \"\(draw)\"")
            }
            for line in lines where !line.isEmpty {
                XCTAssertFalse(line.contains("B/s"), "\(arguments): progress left on a line the user reads: \"\(line)\"")
            }
            XCTAssertTrue(lines.contains { $0.hasPrefix("Restored ") || $0.hasPrefix("Switched ") || $0.hasPrefix("Uploaded ") },
                          "\(arguments): \(lines)")
        }
    }
}
