import CLibPQ
import DatasetKit
import Foundation

/// One libpq connection. Not shared between threads.
public final class Connection {
    private let handle: OpaquePointer

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
        guard let connection else { throw DPMError("Cannot connect to PostgreSQL: out of memory.") }
        guard PQstatus(connection) == CONNECTION_OK else {
            let reason = ConnectionSettings.oneLine(String(cString: PQerrorMessage(connection)))
            PQfinish(connection)
            throw DPMError(sentence("Cannot connect to PostgreSQL at \(settings.location) as \(settings.user) (database \(settings.database)): \(reason)"))
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
            throw ServerError(
                sqlState: PQresultErrorField(result, Int32(UInt8(ascii: "C"))).map { String(cString: $0) } ?? "",
                message: PQresultErrorField(result, Int32(UInt8(ascii: "M"))).map { String(cString: $0) }
                    ?? ConnectionSettings.oneLine(String(cString: PQerrorMessage(handle)))
            )
        }
    }
}

/// An error the server reported, with its SQLSTATE.
public struct ServerError: Error, CustomStringConvertible {
    public let sqlState: String
    public let message: String
    public var description: String { message }
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
