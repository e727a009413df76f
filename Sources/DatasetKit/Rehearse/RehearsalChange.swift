import Foundation

/// What `dpm rehearse` runs on each clone, read and checked before anything is cloned.
public enum RehearsalChange: Sendable {
    /// A SQL file psql runs in one transaction, or statement by statement (`-- dpm:no-transaction`,
    /// or a file that controls its own transactions).
    case sqlFile(path: String, file: String, script: MigrationScript)
    /// A `-- dpm:batch` file, run as `dpm transform` runs it.
    case transform(path: String, file: String, table: String)
    /// A command run through `sh -c` with the PG* variables and DATABASE_URL naming the clone.
    case command(String)

    /// Reads the file at `path` (absolute; `file` is how the user named it), or checks that the
    /// command's program exists.
    public static func file(_ path: String, named file: String) throws -> RehearsalChange {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue,
              let data = FileManager.default.contents(atPath: path) else {
            throw DPMError.notFound("There is no file \(file) to rehearse.")
        }
        let text = String(decoding: data, as: UTF8.self)
        if Self.isBatchFile(text) {
            let header = try TransformHeader.parse(text, file: file)
            _ = try BatchStatement(text, file: file)
            return .transform(path: path, file: file, table: header.table)
        }
        let script = MigrationScript(text)
        if script.statements.isEmpty { throw DPMError.invalidInput("\(file) holds no SQL statement to rehearse.") }
        if let begin = script.unclosedBegin {
            throw DPMError.invalidInput("\(file) opens a transaction at line \(begin.startLine) (\(begin.summary)) that it never ends, so psql would roll its work back; end it with COMMIT.")
        }
        return .sqlFile(path: path, file: file, script: script)
    }

    /// A command whose program (its first word) is found: a path that is an executable file, a
    /// name on `PATH`, or a shell builtin.
    public static func command(_ command: String, path searchPath: String, directory: String) throws -> RehearsalChange {
        let words = command.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\n" })
        guard let first = words.first.map(String.init) else {
            throw DPMError.invalidInput("--command is empty; give the command to rehearse, e.g. --command \"bin/rails runner script/fix.rb\".")
        }
        // Assignments, quoting, grouping and builtins are the shell's to judge.
        let shellsOwn = first.contains("=") || first.contains("\"") || first.contains("'") || first.contains("$")
            || first.hasPrefix("(") || first.hasPrefix("{") || Self.builtins.contains(first)
        guard !shellsOwn else { return .command(command) }
        if first.contains("/") {
            let full = FilePath.isAbsolute(first) ? first : FilePath.join(directory, first)
            guard FileManager.default.isExecutableFile(atPath: full) else {
                throw DPMError.notFound("The command \(first) does not exist or is not executable (looked for \(full)).")
            }
            return .command(command)
        }
        let found = searchPath.split(separator: ":").contains { FileManager.default.isExecutableFile(atPath: "\($0)/\(first)") }
        guard found else { throw DPMError.notFound("The command \(first) is not found on PATH.") }
        return .command(command)
    }

    /// A file with a `-- dpm:batch` line is a transform (its header's own checks say the rest).
    static func isBatchFile(_ text: String) -> Bool {
        text.split(separator: "\n").contains { $0.trimmingCharacters(in: .whitespaces).hasPrefix(TransformHeader.marker) }
    }

    private static let builtins: Set<String> = [
        "cd", "echo", "export", "exit", "test", "[", "true", "false", "set", "unset", ".", "exec", "eval", "printf", "read", ":",
        "if", "for", "while", "case",
    ]

    /// How the report names the change.
    public var title: String {
        switch self {
        case .sqlFile(_, let file, _), .transform(_, let file, _): return file
        case .command(let command): return command
        }
    }

    public var isTransform: Bool {
        if case .transform = self { return true }
        return false
    }

    /// How the change runs, for the report.
    public var mode: String {
        switch self {
        case .sqlFile(_, _, let script):
            switch script.mode {
            case .transaction: return "one transaction"
            case .noTransaction(let reason): return "without a wrapping transaction (\(reason))"
            }
        case .transform: return "in batches, as dpm transform runs it"
        case .command: return "through sh -c"
        }
    }
}
