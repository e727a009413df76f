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
    func runTool(_ tool: String, _ arguments: [String], environment childEnvironment: [String: String], capture: Bool = false) throws -> Output {
        try run(try locate(tool), arguments, capture: capture, environment: childEnvironment)
    }

    /// Runs a program with stdout and stderr going to files, so no pipe can fill up and block it;
    /// without `childEnvironment`, it inherits this process's.
    func run(_ path: String, _ arguments: [String], capture: Bool, environment childEnvironment: [String: String]? = nil) throws -> Output {
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
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = capture ? try FileHandle(forWritingTo: stdoutURL) : FileHandle.nullDevice
        process.standardError = try FileHandle(forWritingTo: stderrURL)
        do {
            try process.run()
        } catch {
            throw DPMError.system("Cannot run \(path): \(SystemErrorText.reason(error)).")
        }
        process.waitUntilExit()
        let name = FilePath.lastComponent(path)
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
