import DatasetKit
import Foundation

/// `SQLSessions`: one libpq connection kept open, its server errors told as `DPMError.database`
/// sentences with their SQLSTATE.
extension PostgresServer: SQLSessions {
    public func openSession(in database: String) throws -> SQLSession {
        PostgresSession(try connect(database))
    }
}

final class PostgresSession: SQLSession {
    private let connection: Connection

    init(_ connection: Connection) { self.connection = connection }

    func query(_ sql: String, parameters: [String?]) throws -> [[String?]] {
        try told { try connection.query(sql, parameters) }
    }

    func prepare(_ name: String, _ sql: String) throws -> Int {
        try told { try connection.prepare(name, sql) }
    }

    func runPrepared(_ name: String, parameters: [String?]) throws -> Int64 {
        try told { try connection.runPrepared(name, parameters) }
    }

    private func told<T>(_ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let error as ServerError {
            throw DPMError.database(sentence(error.message), sqlState: error.code)
        }
    }
}
