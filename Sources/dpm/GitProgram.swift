import DatasetKit
import Foundation

/// `git` from PATH, for the history of manifests. Messages in English (`LC_ALL=C`), so the
/// domain can tell "not a repository" from a failure; no terminal prompts, no pager.
struct GitProgram: GitRunner {
    func run(_ arguments: [String], input: Data?, in directory: String) throws -> GitOutput {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["git"] + arguments
        process.currentDirectoryURL = URL(fileURLWithPath: directory)
        process.environment = ProcessInfo.processInfo.environment.merging(["LC_ALL": "C", "GIT_TERMINAL_PROMPT": "0", "GIT_PAGER": "cat"]) { $1 }
        let stdin = Pipe(), stdout = Pipe(), stderr = Pipe()
        process.standardInput = input == nil ? FileHandle.nullDevice : stdin
        process.standardOutput = stdout
        process.standardError = stderr
        do {
            try process.run()
        } catch {
            throw DPMError.notFound("git cannot be started (\(SystemErrorText.reason(error))).")
        }
        // Both pipes are drained while git runs, so that neither fills up and stops it.
        let output = BackgroundWork { stdout.fileHandleForReading.readDataToEndOfFile() }
        let errors = BackgroundWork { stderr.fileHandleForReading.readDataToEndOfFile() }
        if let input { Self.feed(input, to: stdin.fileHandleForWriting) }
        process.waitUntilExit()
        let status = process.terminationStatus
        // /usr/bin/env says 127 when git is not on PATH.
        if status == 127 { throw DPMError.notFound("git is not installed (or not on PATH).") }
        return GitOutput(status: status, stdout: try output.wait(), stderr: String(decoding: try errors.wait(), as: UTF8.self))
    }

    /// Writes `input` and closes the pipe; a git that stops reading ends the write (EPIPE,
    /// not SIGPIPE), and its exit status tells why.
    private static func feed(_ input: Data, to handle: FileHandle) {
        signal(SIGPIPE, SIG_IGN)
        let descriptor = handle.fileDescriptor
        input.withUnsafeBytes { bytes in
            var offset = 0
            while offset < bytes.count {
                let written = write(descriptor, bytes.baseAddress! + offset, bytes.count - offset)
                if written < 0, errno == EINTR { continue }
                guard written > 0 else { break }
                offset += written
            }
        }
        try? handle.close()
    }
}
