import DatasetKit
import Foundation

/// stdout/stderr helpers; progress is drawn only when stderr is a terminal.
enum Terminal {
    static let stderrIsTerminal = isatty(STDERR_FILENO) == 1

    static func error(_ message: String) {
        FileHandle.standardError.write(Data("error: \(message)\n".utf8))
    }

    static func note(_ message: String) {
        FileHandle.standardError.write(Data("\(message)\n".utf8))
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
