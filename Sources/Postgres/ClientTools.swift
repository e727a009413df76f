import DatasetKit
import Foundation

/// Finds and runs pg_dump, pg_restore and psql. A tool older than the server is refused:
/// an old pg_dump cannot read a newer server's catalogs.
struct ClientTools: Sendable {
    let serverMajor: Int
    let settings: PostgresClientSettings
    /// Tools already found and checked, by name: a restore runs pg_restore a dozen times,
    /// and each check is a process of its own.
    var located: Locked<[String: String]>? = nil

    /// Folders searched in order: DPM_PG_BIN, the Debian folder for the server's major version, PATH.
    private var searchPath: [String] {
        if let bin = settings.toolFolder { return [bin] }
        return ["/usr/lib/postgresql/\(serverMajor)/bin"] + settings.searchPath
    }

    func locate(_ tool: String) throws -> String {
        if let path = located?.current[tool] { return path }
        let path = try find(tool)
        located?.withValue { $0[tool] = path }
        return path
    }

    private func find(_ tool: String) throws -> String {
        guard let path = searchPath.map({ "\($0)/\(tool)" }).first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
            throw DPMError.notFound("\(tool) was not found; install the PostgreSQL \(serverMajor) client tools (Debian: postgresql-client-\(serverMajor)) or set DPM_PG_BIN to their folder.")
        }
        let output = try run(path, ["--version"], capture: true).stdout
        let text = String(decoding: output, as: UTF8.self)
        // "pg_dump (PostgreSQL) 15.20 (Debian 15.20-0+deb12u1)"
        guard let match = text.range(of: #"\) ([0-9]+)"#, options: .regularExpression),
              let major = Int(text[match].dropFirst(2)) else {
            throw DPMError.invalidInput("\(path) did not report a PostgreSQL version; point DPM_PG_BIN at the PostgreSQL client tools.")
        }
        guard major >= serverMajor else {
            throw DPMError.invalidInput("\(path) is version \(major), older than the server (PostgreSQL \(serverMajor)); install postgresql-client-\(serverMajor) or set DPM_PG_BIN to a newer client's folder.")
        }
        return path
    }

    struct Output {
        var stdout: Data
    }

    /// Runs `tool` by name (after `locate`) and fails with its last lines of stderr.
    @discardableResult
    func runTool(_ tool: String, _ arguments: [String], environment childEnvironment: [String: String], capture: Bool = false,
                 input: ByteReader? = nil, output: ((ByteReader) throws -> Void)? = nil) throws -> Output {
        try run(try locate(tool), arguments, capture: capture, environment: childEnvironment, input: input, output: output)
    }

    /// Runs a program with stdout and stderr going to files, so no pipe can fill up and block it;
    /// without `childEnvironment`, it inherits this process's. `input` goes to its stdin; when
    /// reading it fails, that error is the one thrown (the program saw only part of its input).
    /// `output` reads its stdout as a stream instead (on this thread, while it runs); when the
    /// program fails, its failure is thrown (what `output` made of a cut stream says less), and
    /// when `output` fails, the program is stopped and that error is thrown.
    func run(_ path: String, _ arguments: [String], capture: Bool, environment childEnvironment: [String: String]? = nil,
             input: ByteReader? = nil, output: ((ByteReader) throws -> Void)? = nil) throws -> Output {
        // The output can be table rows (pg_dump --data-only): owner-only, whatever the umask.
        let scratch = try PrivateFiles.makeScratchFolder(in: FileManager.default.temporaryDirectory.path, prefix: ScratchNames.prefix("tool"))
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        let stdoutURL = URL(fileURLWithPath: "\(scratch)/stdout"), stderrURL = URL(fileURLWithPath: "\(scratch)/stderr")
        try PrivateFiles.createFile(stdoutURL.path)
        try PrivateFiles.createFile(stderrURL.path)
        let process = Process()
        let command = DyingWithParent.command(path, arguments)
        process.executableURL = URL(fileURLWithPath: command.executable)
        process.arguments = command.arguments
        process.environment = childEnvironment
        let stdin = try input.map { _ in try InputPipe() }
        let stdout = try output.map { _ in try OutputPipe() }
        process.standardInput = stdin?.childEnd ?? FileHandle.nullDevice
        process.standardOutput = try stdout?.childEnd ?? (capture ? FileHandle(forWritingTo: stdoutURL) : FileHandle.nullDevice)
        process.standardError = try FileHandle(forWritingTo: stderrURL)
        do {
            try process.run()
        } catch {
            stdin?.close()
            stdout?.close()
            throw DPMError.system("Cannot run \(path): \(SystemErrorText.reason(error)).")
        }
        // Fed from this thread: the child dies with the thread that started it (DyingWithParent).
        let inputError = stdin.flatMap { pipe in input.flatMap { pipe.feed(from: $0) } }
        let outputError = stdout.flatMap { pipe in output.flatMap { consume in pipe.drain(into: consume, stopping: process) } }
        let outputWasCut = stdout?.reachedEnd == true
        process.waitUntilExit()
        if let inputError { throw inputError }
        let name = FilePath.lastComponent(path)
        if let outputError {
            // A stream cut short by the program's own failure is told as that failure; any
            // other failure of reading it (the store's, or a damaged object found while the
            // program still wrote) is the one thrown. A program dpm stopped dies of that stop
            // (SIGTERM, pg_dump's "terminated by user", or SIGPIPE), which says nothing.
            let succeeded = process.terminationReason == .exit && process.terminationStatus == 0
            if succeeded || !outputWasCut || (outputError as? DPMError)?.kind != .corrupt { throw outputError }
        }
        guard process.terminationReason == .exit, process.terminationStatus == 0 else {
            let errors = String(decoding: (try? Data(contentsOf: stderrURL)) ?? Data(), as: UTF8.self)
            throw DPMError.toolFailed(ToolFailure(tool: name, status: ToolFailure.Status(of: process),
                                                  lastLines: errors.split(whereSeparator: \.isNewline).suffix(4).map(String.init)))
        }
        return Output(stdout: capture ? try Data(contentsOf: stdoutURL) : Data())
    }
}

extension ToolFailure.Status {
    /// How a finished process ended.
    init(of process: Process) {
        self = process.terminationReason == .exit ? .exit(process.terminationStatus) : .signal(process.terminationStatus)
    }
}


/// Both ends of a pipe to or from a child, each closed once. Close-on-exec: no other child may
/// hold an end open, or the reader never sees the end.
final class PipeEnds {
    private(set) var readEnd: Int32
    private(set) var writeEnd: Int32

    init(purpose: String) throws {
        var ends: [Int32] = [0, 0]
        guard pipe(&ends) == 0 else { throw DPMError.systemCall("Cannot make a pipe for a client tool's \(purpose)") }
        for end in ends { _ = fcntl(end, F_SETFD, FD_CLOEXEC) }
        readEnd = ends[0]
        writeEnd = ends[1]
    }

    func closeRead() { close(&readEnd) }
    func closeWrite() { close(&writeEnd) }

    private func close(_ descriptor: inout Int32) {
        if descriptor >= 0 { _ = Glibc.close(descriptor) }
        descriptor = -1
    }

    deinit {
        closeRead()
        closeWrite()
    }
}

/// A pipe from a child's stdout, read as a `ByteReader` while the child runs.
private final class OutputPipe: ByteReader {
    let childEnd: FileHandle
    private let ends: PipeEnds

    init() throws {
        ends = try PipeEnds(purpose: "output")
        childEnd = FileHandle(fileDescriptor: ends.writeEnd, closeOnDealloc: false)
    }

    /// Whether the stream reached its end (the child closed it, or exited).
    private(set) var reachedEnd = false

    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        while true {
            let count = Glibc.read(ends.readEnd, buffer.baseAddress, buffer.count)
            if count == 0 { reachedEnd = true }
            if count >= 0 { return count }
            guard errno == EINTR else { throw DPMError.systemCall("Cannot read a client tool's output") }
        }
    }

    /// Hands the stream to `consume` and reads what it leaves to the end (so the child never
    /// blocks on a full pipe); when `consume` fails, stops the child. Returns `consume`'s error.
    func drain(into consume: (ByteReader) throws -> Void, stopping process: Process) -> Error? {
        // Only the child holds the write end now: its exit is the stream's end.
        ends.closeWrite()
        defer { ends.closeRead() }
        do {
            try consume(self)
            _ = try pump(into: NullWriter())
            return nil
        } catch {
            process.terminate()
            return error
        }
    }

    func close() {
        ends.closeRead()
        ends.closeWrite()
    }
}

/// A pipe to a child's stdin, fed from a `ByteReader`.
private final class InputPipe {
    let childEnd: FileHandle
    private let ends: PipeEnds

    init() throws {
        ends = try PipeEnds(purpose: "input")
        childEnd = FileHandle(fileDescriptor: ends.readEnd, closeOnDealloc: false)
        // A child that stops reading (psql at its first error) must not kill dpm with SIGPIPE:
        // the write fails with EPIPE instead, and the child's own failure is reported.
        signal(SIGPIPE, SIG_IGN)
    }

    /// Writes all of `source` and closes the pipe; returns the error of reading `source`, if any.
    func feed(from source: ByteReader) -> Error? {
        ends.closeRead()
        defer { ends.closeWrite() }
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: streamChunkSize, alignment: 16)
        defer { buffer.deallocate() }
        do {
            while true {
                let count = try source.read(into: buffer)
                if count == 0 { return nil }
                var offset = 0
                while offset < count {
                    let written = write(ends.writeEnd, buffer.baseAddress! + offset, count - offset)
                    if written < 0, errno == EINTR { continue }
                    // EPIPE: the child has stopped reading; how it ended says why.
                    guard written > 0 else { return nil }
                    offset += written
                }
            }
        } catch {
            return error
        }
    }

    func close() {
        ends.closeRead()
        ends.closeWrite()
    }
}
