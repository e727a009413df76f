@testable import DatasetKit
import Foundation

/// The few queries the switch plans read, answered from the model: the tables written since
/// a database was made (`undo`'s report), a pristine mark's statistics, xids and catalog
/// digests (stash recycling) and the migration tracking tables (none). Any other SQL fails,
/// so that a plan which starts to need more is noticed.
extension InMemoryCatalog: DatabaseQuery {
    func query(_ sql: String, parameters: [String?], in database: String) throws -> [[String?]] {
        guard let found = self[database] else { throw Failure(description: "connection to database \"\(database)\" failed: it does not exist") }
        if sql.contains("pg_stat_user_tables") {
            return Set(found.tablesWritten).sorted().map { [$0.contains(".") ? $0 : "public.\($0)"] }
        }
        // A catalog digest's three columns: catalog counts, sequences, unreadable sequences.
        let catalog: [String?] = ["pg_catalog.pg_class=\(400 + found.catalogChanges)", "", "0"]
        if sql.contains("pg_stat_database") {
            // Then: readable catalogs, catalog rows newer than the mark.
            return [["t", String(found.tablesWritten.count), "1"] + catalog + ["1", String(found.catalogChanges)]]
        }
        if sql.contains("txid_current()::text") { return [[String(nextXid())] + catalog] }
        if sql.contains("pg_attribute") { return [] }
        throw Failure(description: "InMemoryCatalog cannot answer: \(sql)")
    }
}

extension InMemoryCatalog: ServerConnectionInfo {
    var displayName: String { "memory" }
    func serverVersion() throws -> ServerVersion { ServerVersion(number: 170000, text: "17.0 (in memory)") }
    func connectionURI(for database: String) -> String { "postgresql://memory/\(database)" }
    var commandLineOptions: [String] { ["-h", "memory"] }
    var isOnThisMachine: Bool { true }
}
