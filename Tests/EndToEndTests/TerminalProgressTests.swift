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

    /// Runs dpm on a pseudo-terminal (util-linux `script`) and returns what the terminal got.
    private func onTerminal(_ arguments: [String]) -> Harness.Run {
        let line = ([Harness.binary] + arguments).map { "'" + $0.replacingOccurrences(of: "'", with: "'\\''") + "'" }.joined(separator: " ")
        return harness.command("script", ["-qfec", line, "/dev/null"])
    }

    /// Splits terminal output into what stays on screen (lines) and the progress redraws.
    private func screen(_ output: String) -> (lines: [String], redraws: [String]) {
        var lines: [String] = [], redraws: [String] = []
        for line in output.replacingOccurrences(of: "\r\n", with: "\n").split(separator: "\n", omittingEmptySubsequences: false) {
            let draws = line.components(separatedBy: "\r").map { $0.replacingOccurrences(of: "\u{1B}[K", with: "") }
            redraws += draws.dropLast().filter { !$0.isEmpty }
            lines.append(draws.last ?? "")
        }
        return (lines, redraws)
    }

    func testProgressIsLabelledAndLeavesNoDebris() throws {
        for arguments in [["restore", "ug", "--into", harness.prefix + "_copy", "--media-dir", "\(harness.root)/copy-media"],
                          ["use", "ug"], ["upload", "ug", "-m", "again"]] {
            let run = onTerminal(arguments)
            XCTAssertEqual(run.status, 0, "\(arguments): \(run.stdout)")
            let (lines, redraws) = screen(run.stdout)
            for draw in redraws {
                XCTAssertNotNil(draw.first.map { $0.isLetter }, "\(arguments): unlabelled progress \"\(draw)\"")
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
