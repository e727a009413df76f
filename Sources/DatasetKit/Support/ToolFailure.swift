/// How an external program (pg_dump, pg_restore, psql, a migration command) failed, kept
/// apart from the sentence so that callers switch on it instead of reading the sentence.
public struct ToolFailure: Sendable, Equatable {
    public enum Status: Sendable, Equatable {
        case exit(Int32)
        case signal(Int32)
    }

    /// The program's file name ("psql"), or the command line it ran.
    public let tool: String
    public let status: Status
    /// The last lines it wrote to stderr (or its output), oldest first.
    public let lastLines: [String]
    /// What the code that ran psql read in its output about the script it stopped in.
    public let script: ScriptProblem?

    public init(tool: String, status: Status, lastLines: [String], script: ScriptProblem? = nil) {
        self.tool = tool
        self.status = status
        self.lastLines = lastLines
        self.script = script
    }

    /// "exit 3" or "signal 9".
    public var statusText: String {
        switch status {
        case .exit(let code): "exit \(code)"
        case .signal(let number): "signal \(number)"
        }
    }

    /// The last lines as one line, "no message" when there were none.
    public var output: String { lastLines.isEmpty ? "no message" : lastLines.joined(separator: " / ") }

    /// The first of the last lines ("no message" when there were none).
    public var firstLine: String { lastLines.first ?? "no message" }

    /// "psql failed (exit 3): psql:/x.sql:4: ERROR:  …"
    public var sentence: String { "\(tool) failed (\(statusText)): \(output)" }

    public func with(script: ScriptProblem?) -> ToolFailure {
        ToolFailure(tool: tool, status: status, lastLines: lastLines, script: script)
    }
}

/// What psql said about the SQL script it stopped in, read from its output once, where psql
/// ran (the Postgres module), so that the domain does not parse psql's text.
public struct ScriptProblem: Sendable, Equatable {
    public enum Cause: Sendable, Equatable {
        /// A statement PostgreSQL refuses inside a transaction block (CREATE INDEX CONCURRENTLY, …).
        case needsNoTransaction
        /// Something the script creates exists already.
        case alreadyExists
    }

    /// The line of the script that psql's message names, when it names one.
    public let line: Int?
    /// psql's words after that location ("ERROR:  relation \"t\" already exists / …"); the
    /// whole output when it names no location.
    public let text: String
    public let causes: Set<Cause>
    /// The statement that failed: the line psql names for its ERROR and PostgreSQL's message
    /// without the severity ("relation \"t\" does not exist"), when psql's last lines hold it.
    public let error: Failed?

    public struct Failed: Sendable, Equatable {
        public let line: Int
        public let message: String

        public init(line: Int, message: String) {
            self.line = line
            self.message = message
        }
    }

    public init(line: Int?, text: String, causes: Set<Cause>, error: Failed? = nil) {
        self.line = line
        self.text = text
        self.causes = causes
        self.error = error
    }

    /// "at line 3: relation "t" does not exist", or psql's words where it named no error line.
    public var summary: String {
        if let error { return "at line \(error.line): \(error.message)" }
        return (line.map { "at line \($0): " } ?? "") + text
    }
}
