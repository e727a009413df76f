import Foundation

extension Harness {
    /// Runs dpm on a pseudo-terminal (util-linux `script`); stdout holds what the terminal got.
    func onTerminal(_ arguments: [String]) -> Run {
        let line = ([Harness.binary] + arguments).map { "'" + $0.replacingOccurrences(of: "'", with: "'\\''") + "'" }.joined(separator: " ")
        return command("script", ["-qfec", line, "/dev/null"])
    }

    /// Splits terminal output into the lines that stay on screen and the progress redraws
    /// (text a carriage return later overwrote).
    static func screen(_ output: String) -> (lines: [String], redraws: [String]) {
        var lines: [String] = [], redraws: [String] = []
        for line in output.replacingOccurrences(of: "\r\n", with: "\n").split(separator: "\n", omittingEmptySubsequences: false) {
            let draws = line.components(separatedBy: "\r").map { $0.replacingOccurrences(of: "\u{1B}[K", with: "") }
            redraws += draws.dropLast().filter { !$0.isEmpty }
            lines.append(draws.last ?? "")
        }
        return (lines, redraws)
    }
}
