import CLibPQ
import DatasetKit
import Foundation

/// One libpq connection. Not shared between threads.
public final class Connection {
    /// Internal, for the extensions in this module that speak more of libpq (prepared statements).
    let handle: OpaquePointer

    public init(_ settings: ConnectionSettings) throws {
        let pairs = settings.keywordValues()
        let keywords = pairs.map { strdup($0.0) } + [nil]
        let values = pairs.map { strdup($0.1) } + [nil]
        defer { (keywords + values).forEach { free($0) } }
        let connection = keywords.withUnsafeBufferPointer { keywordPointer in
            values.withUnsafeBufferPointer { valuePointer in
                keywordPointer.withMemoryRebound(to: UnsafePointer<CChar>?.self) { k in
                    valuePointer.withMemoryRebound(to: UnsafePointer<CChar>?.self) { v in
                        PQconnectdbParams(k.baseAddress, v.baseAddress, 0)
                    }
                }
            }
        }
        guard let connection else { throw DPMError.system("Cannot connect to PostgreSQL: out of memory.") }
        guard PQstatus(connection) == CONNECTION_OK else {
            let reason = settings.scrub(ConnectionSettings.oneLine(String(cString: PQerrorMessage(connection))))
            PQfinish(connection)
            throw DPMError.unreachable(sentence("Cannot connect to PostgreSQL at \(settings.location) as \(settings.user) (database \(settings.database)): \(reason)"))
        }
        handle = connection
        PQsetNoticeProcessor(handle, { _, _ in }, nil)
    }

    deinit { PQfinish(handle) }

    public var serverVersionNumber: Int { Int(PQserverVersion(handle)) }

    /// Runs one statement with text parameters; returns the rows as text (nil for NULL).
    @discardableResult
    public func query(_ sql: String, _ parameters: [String?] = []) throws -> [[String?]] {
        let copies = parameters.map { $0.map { strdup($0) } ?? nil }
        defer { copies.forEach { free($0) } }
        let result = copies.withUnsafeBufferPointer { buffer in
            buffer.withMemoryRebound(to: UnsafePointer<CChar>?.self) { values in
                PQexecParams(handle, sql, Int32(parameters.count), nil, values.baseAddress, nil, nil, 0)
            }
        }
        defer { PQclear(result) }
        switch PQresultStatus(result) {
        case PGRES_COMMAND_OK, PGRES_EMPTY_QUERY:
            return []
        case PGRES_TUPLES_OK:
            let rows = PQntuples(result), columns = PQnfields(result)
            return (0..<rows).map { row in
                (0..<columns).map { column in
                    PQgetisnull(result, row, column) == 1 ? nil : String(cString: PQgetvalue(result, row, column))
                }
            }
        default:
            throw Self.serverError(result, handle)
        }
    }
}

extension Connection {
    /// Runs SQL text that may hold several statements (the simple query protocol), stopping at
    /// the first error.
    public func execute(_ sql: String) throws {
        var failure: ServerError?
        guard PQsendQuery(handle, sql) == 1 else { throw Self.connectionError(handle) }
        while let result = PQgetResult(handle) {
            let status = PQresultStatus(result)
            if failure == nil, status != PGRES_COMMAND_OK, status != PGRES_TUPLES_OK, status != PGRES_EMPTY_QUERY {
                failure = Self.serverError(result, handle)
            }
            PQclear(result)
        }
        if let failure { throw failure }
    }

    /// Runs a `COPY ... FROM STDIN` statement and sends what `produce` writes as its data.
    /// When `produce` throws, the COPY is abandoned (nothing of it stays) and its error rethrown.
    /// Returns the rows the server loaded (its command tag's count).
    @discardableResult
    public func copyIn(_ statement: String, from produce: (ByteWriter) throws -> Void) throws -> Int64 {
        guard let start = PQexec(handle, statement) else { throw DPMError.database("Cannot start a COPY: out of memory.") }
        let startStatus = PQresultStatus(start)
        let startError = Self.serverError(start, handle)
        PQclear(start)
        guard startStatus == PGRES_COPY_IN else { throw startError }
        let sink = CopyDataWriter(handle: handle)
        var failure: Error?
        do {
            try produce(sink)
        } catch {
            failure = error
        }
        let reason = failure.map { _ in "dpm stopped the load" }
        guard PQputCopyEnd(handle, reason) == 1 else { throw failure ?? Self.connectionError(handle) }
        var endError: Error?
        var rows: Int64 = 0
        while let result = PQgetResult(handle) {
            if PQresultStatus(result) != PGRES_COMMAND_OK {
                if endError == nil { endError = Self.serverError(result, handle) }
            } else if let count = PQcmdTuples(result) {
                rows = Int64(String(cString: count)) ?? 0
            }
            PQclear(result)
        }
        if let error = failure ?? endError ?? sink.failure { throw error }
        return rows
    }

    static func serverError(_ result: OpaquePointer?, _ handle: OpaquePointer) -> ServerError {
        ServerError(
            sqlState: PQresultErrorField(result, Int32(UInt8(ascii: "C"))).map { String(cString: $0) } ?? "",
            message: PQresultErrorField(result, Int32(UInt8(ascii: "M"))).map { String(cString: $0) }
                ?? ConnectionSettings.oneLine(String(cString: PQerrorMessage(handle)))
        )
    }

    fileprivate static func connectionError(_ handle: OpaquePointer) -> ServerError {
        ServerError(sqlState: "", message: ConnectionSettings.oneLine(String(cString: PQerrorMessage(handle))))
    }
}

/// Hands bytes to libpq as COPY data. libpq reports a broken connection here and the
/// server's own error (bad row, constraint) when the COPY ends, so a failed send is kept
/// and the rest of the stream is dropped until then.
private final class CopyDataWriter: ByteWriter {
    private let handle: OpaquePointer
    private(set) var failure: Error?
    /// Sent as CopyData messages of this size: the server reads a whole message before it
    /// parses any of it, so 1 MiB messages left it waiting on the socket (documents table of
    /// the benchmark: 12.2 s with 1 MiB, 10.3 s with 8 KiB or 64 KiB, same as pg_restore).
    static let messageSize = 64 << 10

    init(handle: OpaquePointer) { self.handle = handle }

    func write(_ bytes: UnsafeRawBufferPointer) throws {
        var offset = 0
        while failure == nil, offset < bytes.count {
            let count = min(Self.messageSize, bytes.count - offset)
            let start = bytes.baseAddress!.advanced(by: offset).assumingMemoryBound(to: CChar.self)
            if PQputCopyData(handle, start, Int32(count)) != 1 { failure = Connection.connectionError(handle) }
            offset += count
        }
    }

    func finish() throws {}
}

/// An error the server reported, with its SQLSTATE.
public struct ServerError: Error, CustomStringConvertible {
    public let sqlState: String
    public let message: String
    public var description: String { message }
    /// The SQLSTATE, nil when libpq reported the error itself.
    public var code: String? { sqlState.isEmpty ? nil : sqlState }
}

/// SQL text helpers.
public enum SQL {
    public static func identifier(_ name: String) -> String {
        "\"" + name.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    public static func literal(_ text: String) -> String {
        "'" + text.replacingOccurrences(of: "'", with: "''") + "'"
    }
}
