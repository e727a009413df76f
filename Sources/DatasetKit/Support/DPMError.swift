import Foundation

/// An error dpm reports. `kind` says what happened, for code to switch on; `message` is one
/// plain sentence for a user that says what went wrong and, where possible, what to do, and
/// never carries secrets; what does not belong in that sentence is kept apart (a schema diff
/// in `details`, a failed program's exit status and last lines in `tool`), as postgres-nio's
/// PSQLError keeps its code and server details apart from its description.
public struct DPMError: Error, CustomStringConvertible, Equatable {
    public enum Kind: String, Sendable, CaseIterable {
        /// Something named does not exist: a profile, snapshot, store object, file, database.
        case notFound
        /// Other sessions hold what dpm must rename or drop (SQLSTATE 55006, or the sessions
        /// dpm found on it).
        case inUse
        /// Stored bytes or records fail verification, or are not what dpm wrote.
        case corrupt
        /// Refused because of what the user gave: arguments, names, settings, project files.
        case invalidInput
        /// Refused because of the state things are in: work would be lost, a lock is held,
        /// something is already there.
        case conflict
        /// Credentials or privileges were refused (S3 access, a PostgreSQL role).
        case permissionDenied
        /// An external program failed; `tool` says which, how, and its last lines.
        case toolFailed
        /// The store or the database server could not be reached, or the transfer broke.
        case unreachable
        /// PostgreSQL refused or failed a statement; `sqlState` when the server gave one.
        case database
        /// The work stopped before it finished (a signal, a kill, a crash point).
        case interrupted
        /// A file-system or other system call failed; `errorNumber` when known.
        case system
        /// An assumption of dpm's own broke: a bug.
        case `internal`
    }

    public let kind: Kind
    public let message: String
    /// Lines to show before the sentence, when the sentence alone cannot say what differs
    /// (a schema diff).
    public let details: String?
    /// How an external program failed, for `.toolFailed`.
    public let tool: ToolFailure?
    /// The system's error number, for `.system` errors of a system call.
    public let errorNumber: Int32?
    /// PostgreSQL's SQLSTATE, for `.database` and `.inUse` errors the server reported.
    public let sqlState: String?

    public init(_ kind: Kind, _ message: String, details: String? = nil, tool: ToolFailure? = nil,
                errorNumber: Int32? = nil, sqlState: String? = nil) {
        self.kind = kind
        self.message = message
        self.details = details
        self.tool = tool
        self.errorNumber = errorNumber
        self.sqlState = sqlState
    }

    public var description: String { message }

    /// The same error told in another sentence (what it stopped, in the caller's words).
    public func rephrased(_ message: String) -> DPMError {
        DPMError(kind, message, details: details, tool: tool, errorNumber: errorNumber, sqlState: sqlState)
    }
}

extension DPMError {
    public static func notFound(_ message: String) -> DPMError { DPMError(.notFound, message) }
    public static func inUse(_ message: String, sqlState: String? = nil) -> DPMError { DPMError(.inUse, message, sqlState: sqlState) }
    public static func corrupt(_ message: String) -> DPMError { DPMError(.corrupt, message) }
    public static func invalidInput(_ message: String, details: String? = nil) -> DPMError { DPMError(.invalidInput, message, details: details) }
    public static func conflict(_ message: String, details: String? = nil) -> DPMError { DPMError(.conflict, message, details: details) }
    public static func permissionDenied(_ message: String, sqlState: String? = nil) -> DPMError {
        DPMError(.permissionDenied, message, sqlState: sqlState)
    }
    public static func unreachable(_ message: String) -> DPMError { DPMError(.unreachable, message) }
    public static func database(_ message: String, sqlState: String? = nil) -> DPMError { DPMError(.database, message, sqlState: sqlState) }
    public static func interrupted(_ message: String) -> DPMError { DPMError(.interrupted, message) }
    public static func system(_ message: String, errorNumber: Int32? = nil) -> DPMError { DPMError(.system, message, errorNumber: errorNumber) }
    public static func `internal`(_ message: String) -> DPMError { DPMError(.internal, message) }

    /// "Cannot delete /x: Permission denied." for a system call that failed, its errno kept.
    public static func systemCall(_ failed: String, errorNumber code: Int32 = errno) -> DPMError {
        .system("\(failed): \(String(cString: strerror(code))).", errorNumber: code)
    }

    /// A program that failed, told as "pg_dump failed (exit 1): its last lines".
    public static func toolFailed(_ failure: ToolFailure) -> DPMError { DPMError(.toolFailed, failure.sentence, tool: failure) }
    /// A program that failed, told in the caller's own sentence.
    public static func toolFailed(_ failure: ToolFailure, _ message: String) -> DPMError { DPMError(.toolFailed, message, tool: failure) }
}

extension DPMError {
    /// Any error as dpm reports it: ours as they are, the system's as a plain sentence (never
    /// Foundation's `Error Domain=` dump).
    public init(reporting error: Error) {
        if let error = error as? DPMError {
            self = error
        } else {
            self = .system(SystemErrorText.sentence(for: error))
        }
    }
}

extension DPMError {
    /// The exit status of a command that stops with this error. Every kind exits 1, as dpm
    /// always has; a kind that needs its own status gets it here.
    public var exitCode: Int32 {
        switch kind {
        case .notFound, .inUse, .corrupt, .invalidInput, .conflict, .permissionDenied, .toolFailed, .unreachable,
             .database, .interrupted, .system, .internal:
            1
        }
    }
}

extension Error {
    /// The sentence to show a user for any error (see `DPMError(reporting:)`).
    public var userMessage: String { DPMError(reporting: self).message }
}

/// Ends `text` with a full stop unless it already ends with punctuation.
public func sentence(_ text: String) -> String {
    guard let last = text.last, !".?!".contains(last) else { return text }
    return text + "."
}
