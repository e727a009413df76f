import DatasetKit
import Foundation

/// A repeatable-read transaction that exported its snapshot; the snapshot lives as long as the
/// transaction stays open on this connection.
final class ExportedSnapshot: HeldSnapshot {
    let name: String
    private var connection: Connection?

    init(connection: Connection, name: String) {
        self.connection = connection
        self.name = name
    }

    func release() {
        // Read only: ending it any way is the same; closing the connection ends it too.
        _ = try? connection?.query("COMMIT")
        connection = nil
    }

    deinit { release() }
}

extension PostgresServer {
    public func exportSnapshot(of database: String) throws -> HeldSnapshot {
        let connection = try connect(database)
        do {
            try connection.query("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            guard let name = try connection.query("SELECT pg_export_snapshot()").first?.first ?? nil else {
                throw DPMError.database("Cannot export a snapshot of \(database): the server returned none.")
            }
            return ExportedSnapshot(connection: connection, name: name)
        } catch let error as ServerError {
            throw DPMError.database("Cannot export a snapshot of \(database) for pg_dump to read: \(error.message).", sqlState: error.code)
        }
    }
}
