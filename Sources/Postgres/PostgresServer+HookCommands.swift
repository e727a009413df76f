import DatasetKit
import Foundation

/// `HookCommands`: a project's post-restore hook, with the database in the environment, its
/// output passed through to dpm's stderr and its last lines kept for the failure.
extension PostgresServer: HookCommands {
    public func runHook(_ command: String, for database: String, in directory: String, environment extra: [String: String]) throws {
        var (environment, secrets) = try commandEnvironment(for: database)
        defer { secrets?.remove() }
        environment.merge(extra) { _, new in new }
        // A stderr closed under dpm must fail a write, not kill dpm while its hook runs.
        signal(SIGPIPE, SIG_IGN)
        // One pipe for both streams, so that the lines keep their order.
        let pipe = try PipeEnds(purpose: "hook output")
        let process = Process()
        let launch = DyingWithParent.command("/bin/sh", ["-c", command])
        process.executableURL = URL(fileURLWithPath: launch.executable)
        process.arguments = launch.arguments
        process.currentDirectoryURL = URL(fileURLWithPath: directory)
        process.environment = environment
        process.standardInput = FileHandle.nullDevice
        let childEnd = FileHandle(fileDescriptor: pipe.writeEnd, closeOnDealloc: false)
        process.standardOutput = childEnd
        process.standardError = childEnd
        do {
            try process.run()
        } catch {
            throw DPMError.system("Cannot start the post_restore hook \"\(command)\": \(SystemErrorText.reason(error)).")
        }
        // Only the child holds the write end now: its exit (and its children's) ends the stream.
        pipe.closeWrite()
        let tail = HookOutputTail()
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 64 * 1024, alignment: 16)
        defer { buffer.deallocate() }
        while true {
            let count = Glibc.read(pipe.readEnd, buffer.baseAddress, buffer.count)
            if count < 0, errno == EINTR { continue }
            guard count > 0 else { break }
            let bytes = UnsafeRawBufferPointer(rebasing: buffer[0..<count])
            Self.passThrough(bytes)
            tail.append(bytes)
        }
        pipe.closeRead()
        process.waitUntilExit()
        guard process.terminationReason == .exit, process.terminationStatus == 0 else {
            let failure = ToolFailure(tool: command, status: ToolFailure.Status(of: process), lastLines: tail.lastLines(5))
            throw DPMError.toolFailed(failure, "The post_restore hook \"\(command)\" failed (\(failure.statusText)): \(failure.output).")
        }
    }

    /// Writes a hook's output to dpm's stderr; a stderr that is gone (a closed pipe) must not
    /// stop the hook's run, so failures are ignored (and SIGPIPE is, in `runHook`).
    private static func passThrough(_ bytes: UnsafeRawBufferPointer) {
        var offset = 0
        while offset < bytes.count {
            let written = Glibc.write(STDERR_FILENO, bytes.baseAddress! + offset, bytes.count - offset)
            if written < 0, errno == EINTR { continue }
            guard written > 0 else { return }
            offset += written
        }
    }
}

/// The end of a hook's output, enough for its last lines whatever it wrote before.
private final class HookOutputTail {
    private var bytes = [UInt8]()
    private let limit = 16 * 1024

    func append(_ chunk: UnsafeRawBufferPointer) {
        bytes.append(contentsOf: chunk)
        if bytes.count > 2 * limit { bytes.removeFirst(bytes.count - limit) }
    }

    func lastLines(_ count: Int) -> [String] {
        let lines: [String] = String(decoding: bytes, as: UTF8.self).split(whereSeparator: \.isNewline)
            .map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        return Array(lines.suffix(count))
    }
}
