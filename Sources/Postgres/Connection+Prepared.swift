import CLibPQ
import Foundation

extension Connection {
    /// Parses `sql` as the prepared statement `name` (the extended protocol: one statement
    /// only) and returns the number of parameters the server found in it.
    public func prepare(_ name: String, _ sql: String) throws -> Int {
        let prepared = PQprepare(handle, name, sql, 0, nil)
        defer { PQclear(prepared) }
        guard PQresultStatus(prepared) == PGRES_COMMAND_OK else { throw Self.serverError(prepared, handle) }
        let described = PQdescribePrepared(handle, name)
        defer { PQclear(described) }
        guard PQresultStatus(described) == PGRES_COMMAND_OK else { throw Self.serverError(described, handle) }
        return Int(PQnparams(described))
    }

    /// Runs the prepared statement `name`; returns its command tag's row count.
    public func runPrepared(_ name: String, _ parameters: [String?]) throws -> Int64 {
        let copies = parameters.map { $0.map { strdup($0) } ?? nil }
        defer { copies.forEach { free($0) } }
        let result = copies.withUnsafeBufferPointer { buffer in
            buffer.withMemoryRebound(to: UnsafePointer<CChar>?.self) { values in
                PQexecPrepared(handle, name, Int32(parameters.count), values.baseAddress, nil, nil, 0)
            }
        }
        defer { PQclear(result) }
        switch PQresultStatus(result) {
        case PGRES_COMMAND_OK, PGRES_TUPLES_OK, PGRES_EMPTY_QUERY:
            return PQcmdTuples(result).flatMap { Int64(String(cString: $0)) } ?? 0
        default:
            throw Self.serverError(result, handle)
        }
    }
}
