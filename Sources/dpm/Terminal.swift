import DatasetKit
import Foundation

/// stdout/stderr helpers; progress is drawn only when stderr is a terminal.
enum Terminal {
    static let stderrIsTerminal = isatty(STDERR_FILENO) == 1

    static func error(_ message: String) {
        writeLine("error: \(message)\n")
    }

    static func note(_ message: String) {
        writeLine("\(message)\n")
    }

    /// Text for stderr that must not mix with a progress line being drawn there: the line is
    /// cleared first (a progress phase still running redraws itself below).
    static func writeLine(_ text: String) {
        FileHandle.standardError.write(Data(((stderrIsTerminal ? "\r\u{1B}[K" : "") + text).utf8))
    }

    static func progressMeter() -> ProgressMeter {
        guard stderrIsTerminal else { return .silent }
        return ProgressMeter { line, final in
            // Carriage return + clear line: redraw in place.
            let text = final ? "\r\u{1B}[K" : "\r\u{1B}[K\(line)"
            FileHandle.standardError.write(Data(text.utf8))
        }
    }

    static func printJSON<T: Encodable>(_ value: T) throws {
        FileHandle.standardOutput.write(try CanonicalJSON.encode(value))
    }

    /// Asks a yes/no question on the terminal; nil when there is no terminal to ask.
    static func confirm(_ question: String) -> Bool? {
        guard isatty(STDIN_FILENO) == 1 else { return nil }
        FileHandle.standardError.write(Data("\(question) [y/N] ".utf8))
        guard let answer = readLine() else { return false }
        return ["y", "yes"].contains(answer.trimmingCharacters(in: .whitespaces).lowercased())
    }
}

/// Columns padded to their widest cell; the last column is not padded.
enum TextTable {
    static func print(header: [String], rows: [[String]], indent: String = "") {
        let widths = (0..<header.count).map { column in ([header] + rows).map { $0[column].count }.max() ?? 0 }
        for row in [header] + rows {
            Swift.print(indent + row.enumerated().map {
                $0.offset == row.count - 1 ? $0.element : $0.element.padding(toLength: widths[$0.offset], withPad: " ", startingAt: 0)
            }.joined(separator: "  "))
        }
    }

    /// "3 min ago" for a label timestamp.
    static func ago(_ timestamp: String?) -> String {
        guard let timestamp, let date = Timestamp.parse(timestamp) else { return "-" }
        let seconds = Int(Date().timeIntervalSince(date))
        return seconds < 60 ? "just now" : Age.format(seconds: seconds) + " ago"
    }
}
