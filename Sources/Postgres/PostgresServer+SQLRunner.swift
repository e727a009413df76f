import DatasetKit
import Foundation

/// `SQLRunner` and `DatabaseQuery`: psql for SQL files and migrations, a user's migration
/// command, and one query.
extension PostgresServer {
    public func query(_ sql: String, parameters: [String?], in database: String) throws -> [[String?]] {
        do {
            return try connect(database).query(sql, parameters)
        } catch let error as ServerError {
            throw DPMError.database("A query in \(database) failed: \(error.message).", sqlState: error.code)
        }
    }

    public func applyMigration(_ path: String, record: String, in database: String) throws {
        try runMigration(path, ["--single-transaction", "--file=\(path)", "--command=\(record)"], in: database)
    }

    public func runMigrationWithoutTransaction(_ path: String, in database: String) throws {
        try runMigration(path, ["--set=AUTOCOMMIT=on", "--file=\(path)"], in: database)
    }

    public func runFileInOneTransaction(_ path: String, finalQuery: String, marker: String, in database: String) throws -> [String] {
        var lines: [String] = []
        try runMigration(path, ["--single-transaction", "--tuples-only", "--no-align", "--file=\(path)", "--command=\(finalQuery)"],
                         in: database) { stdout in lines = try MarkedLines.read(stdout, marker: marker) }
        return lines
    }

    /// A failure of psql is told in PostgreSQL's words (psql's last lines), with what they say
    /// about the script read once, here.
    private func runMigration(_ path: String, _ arguments: [String], in database: String,
                              output: ((ByteReader) throws -> Void)? = nil) throws {
        do {
            try withClient(database) { dbArgument, environment in
                try tools().runTool("psql", ["--no-psqlrc", "--quiet", "--set=ON_ERROR_STOP=1"] + arguments + [dbArgument],
                                    environment: environment, output: output)
            }
        } catch let error as DPMError {
            guard let failure = error.tool else { throw error }
            throw DPMError.toolFailed(failure.with(script: PsqlOutput.problem(in: failure, script: path)), failure.output)
        }
    }

    /// The environment of a project's command (a migration command, a hook) run against
    /// `database`: PGHOST, PGPORT, PGDATABASE, PGUSER and DATABASE_URL naming it; the password
    /// as for every client tool (PGPASSWORD from the connection string, if it carried one); the
    /// other secrets in a 0600 service file, which the caller removes; none in argv.
    func commandEnvironment(for database: String) throws -> (environment: [String: String], secrets: ClientSecrets?) {
        let target = settings.with(database: database)
        var environment = target.childEnvironment
        environment["PGHOST"] = target.host
        environment["PGPORT"] = target.port
        environment["PGDATABASE"] = database
        environment["PGUSER"] = target.user
        environment["DATABASE_URL"] = target.uri
        let secrets = try ClientSecrets(target.toolSecrets)
        if let secrets {
            environment["PGSERVICEFILE"] = secrets.path
            environment["PGSERVICE"] = ClientSecrets.service
        }
        return (environment, secrets)
    }

    public func runCommand(_ command: String, for database: String, in directory: String) throws {
        let (environment, secrets) = try commandEnvironment(for: database)
        defer { secrets?.remove() }
        let log = FileManager.default.temporaryDirectory.appendingPathComponent(ScratchNames.make("command") + ".log")
        _ = FileManager.default.createFile(atPath: log.path, contents: nil, attributes: [.posixPermissions: 0o600])
        defer { try? FileManager.default.removeItem(at: log) }
        let output = try FileHandle(forWritingTo: log)
        let process = Process()
        let launch = DyingWithParent.command("/bin/sh", ["-c", command])
        process.executableURL = URL(fileURLWithPath: launch.executable)
        process.arguments = launch.arguments
        process.currentDirectoryURL = URL(fileURLWithPath: directory)
        process.environment = environment
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = output
        process.standardError = output
        do {
            try process.run()
        } catch {
            throw DPMError.system("Cannot start the migration command \"\(command)\": \(SystemErrorText.reason(error)).")
        }
        process.waitUntilExit()
        try? output.close()
        guard process.terminationReason == .exit, process.terminationStatus == 0 else {
            let text = String(decoding: (try? Data(contentsOf: log)) ?? Data(), as: UTF8.self)
            let failure = ToolFailure(tool: command, status: ToolFailure.Status(of: process),
                                      lastLines: text.split(whereSeparator: \.isNewline).suffix(5).map(String.init))
            let lines = failure.lastLines.joined(separator: " / ")
            let status = switch failure.status {
            case .exit(let code): "exit code \(code)"
            case .signal(let number): "signal \(number)"
            }
            throw DPMError.toolFailed(failure, "The migration command \"\(command)\" failed with \(status); its last lines: \(lines.isEmpty ? "(no output)" : lines).")
        }
    }

    public func runDumpScript(from source: ByteReader, in database: String) throws {
        do {
            try withClient(database) { dbArgument, environment in
                try tools().runTool("psql", ["--no-psqlrc", "--quiet", "--set=ON_ERROR_STOP=1", "--file=-", dbArgument],
                                    environment: environment, input: source)
            }
        } catch let error as DPMError {
            guard let failure = error.tool else { throw error }
            throw DPMError.toolFailed(failure.with(script: PsqlOutput.problem(in: failure, script: "<stdin>")), failure.sentence)
        }
    }

    /// Committed SQL files are data, not scripts: psql runs them in restricted mode (`\restrict`
    /// with a key the file cannot know), so a meta-command such as `\!` in them stops the load
    /// instead of running.
    public func runSQLFile(_ path: String, in database: String) throws {
        let tools = try tools()
        let psql = try tools.locate("psql")
        let version = try psqlVersion.current ?? PsqlVersion(reportedBy: String(decoding: try tools.run(psql, ["--version"], capture: true).stdout, as: UTF8.self))
        psqlVersion.withValue { $0 = version }
        guard version.canRestrict else {
            throw DPMError.invalidInput("\(psql) is version \(version.text), which cannot turn off psql's meta-commands (\\restrict, new in 13.22, 14.19, 15.14, 16.10 and 17.6); dpm loads \(Self.fileName(path)) only with them off, so install a newer postgresql-client or set DPM_PG_BIN to its folder.")
        }
        do {
            try withClient(database) { dbArgument, environment in
                try tools.runTool("psql", ["--no-psqlrc", "--quiet", "--set=ON_ERROR_STOP=1", "--command=\\restrict \(randomSuffix(16))",
                                           "--file=\(path)", dbArgument],
                                  environment: environment)
            }
        } catch let error as DPMError {
            guard let refusal = error.tool.flatMap(PsqlOutput.refusedMetaCommand) else {
                guard let failure = error.tool else { throw error }
                throw DPMError.toolFailed(failure.with(script: PsqlOutput.problem(in: failure, script: path)), error.message)
            }
            let line = refusal.line.map { " line \($0)" } ?? ""
            throw DPMError.invalidInput("\(Self.fileName(path))\(line) holds a psql meta-command (a backslash command such as \\! or \\o); dpm loads SQL files with psql's meta-commands turned off, so write the SQL itself instead.")
        }
    }

    private static func fileName(_ path: String) -> String {
        path.split(separator: "/").last.map(String.init) ?? path
    }
}
