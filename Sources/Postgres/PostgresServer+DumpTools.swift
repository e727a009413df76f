import DatasetKit
import Foundation

/// `DumpTools`: pg_dump and pg_restore in directory format, and COPY sessions for loading.
extension PostgresServer {
    private static func filterArguments(_ filters: TableFilters) -> [String] {
        filters.include.map { "--table=\($0)" } + filters.exclude.map { "--exclude-table=\($0)" }
            + filters.excludeData.map { "--exclude-table-data=\($0)" }
    }

    private static func snapshotArguments(_ snapshot: String?) -> [String] {
        snapshot.map { ["--snapshot=\($0)"] } ?? []
    }

    public func dumpSchema(of database: String, filters: TableFilters, snapshot: String?) throws -> String {
        let output = try withClient(database) { dbArgument, environment in
            try tools().runTool("pg_dump", ["--schema-only", "--no-owner", "--no-privileges", dbArgument]
                + Self.filterArguments(filters) + Self.snapshotArguments(snapshot), environment: environment, capture: true)
        }
        return String(decoding: output.stdout, as: UTF8.self)
    }

    public func dumpDataSQL(of database: String, filters: TableFilters) throws -> String {
        let output = try withClient(database) { dbArgument, environment in
            try tools().runTool("pg_dump", ["--data-only", "--no-owner", "--no-privileges", dbArgument]
                + Self.filterArguments(filters), environment: environment, capture: true)
        }
        return String(decoding: output.stdout, as: UTF8.self)
    }

    public func dumpDirectory(of database: String, to directory: String, jobs: Int, filters: TableFilters) throws {
        // Uncompressed: dpm compresses each file itself, in parallel, while hashing it.
        // No fsync: the folder is scratch space read back at once.
        try withClient(database) { dbArgument, environment in
            try tools().runTool("pg_dump", ["--format=directory", "--compress=0", "--jobs=\(jobs)", "--no-sync",
                                            "--file=\(directory)", dbArgument] + Self.filterArguments(filters),
                                environment: environment)
        }
    }

    public func streamArchive(of database: String, filters: TableFilters, dataOnly: Bool, snapshot: String?,
                              into consume: (ByteReader) throws -> Void) throws {
        // Uncompressed: dpm chunks, hashes and compresses the data itself, on every core.
        let arguments = ["--format=custom", "--compress=0"] + (dataOnly ? ["--data-only"] : [])
        try withoutActuallyEscaping(consume) { consume in
            try withClient(database) { dbArgument, environment in
                _ = try tools().runTool("pg_dump", arguments + [dbArgument] + Self.snapshotArguments(snapshot) + Self.filterArguments(filters),
                                        environment: environment, output: consume)
            }
        }
    }

    public func listDirectory(_ directory: String, sections: [DumpSection], verbose: Bool) throws -> String {
        let arguments = ["--list"] + (verbose ? ["--verbose"] : []) + Self.arguments(sections) + [directory]
        let output = try tools().runTool("pg_restore", arguments, environment: settings.childEnvironment, capture: true)
        return String(decoding: output.stdout, as: UTF8.self)
    }

    public func restoreDirectory(_ directory: String, into database: String, jobs: Int, sections: [DumpSection], listFile: String?) throws {
        // Roles and grants of the source server rarely exist locally: restore without them.
        let arguments = ["--jobs=\(jobs)", "--no-owner", "--no-privileges", "--exit-on-error"]
            + Self.arguments(sections) + (listFile.map { ["--use-list=\($0)"] } ?? [])
        try withClient(database) { dbArgument, environment in
            try tools().runTool("pg_restore", arguments + [dbArgument, directory], environment: environment)
        }
    }

    public func restoreScript(of directory: String, sections: [DumpSection], listFile: String) throws -> String {
        let arguments = ["--no-owner", "--no-privileges", "--use-list=\(listFile)", "--file=-"] + Self.arguments(sections)
        let output = try tools().runTool("pg_restore", arguments + [directory], environment: settings.childEnvironment, capture: true)
        return String(decoding: output.stdout, as: UTF8.self)
    }

    public func openRestoreConnection(to database: String, settings statements: [String]) throws -> RestoreConnection {
        let connection = try connect(database)
        for statement in statements {
            do {
                try connection.query(statement)
            } catch let error as ServerError {
                throw DPMError.database("Cannot prepare a session in \(database) for loading data (\(statement)): \(error.message).", sqlState: error.code)
            }
        }
        return SessionConnection(connection: connection)
    }

    /// pg_restore's options for restoring or listing only these sections (none: all of them).
    private static func arguments(_ sections: [DumpSection]) -> [String] {
        sections.map { "--section=\($0.rawValue)" }
    }
}

/// Restores dump entries over one libpq connection.
final class SessionConnection: RestoreConnection {
    private let connection: Connection

    init(connection: Connection) { self.connection = connection }

    func copy(_ statement: String, from produce: (ByteWriter) throws -> Void) throws -> Int64 {
        do {
            return try connection.copyIn(statement, from: produce)
        } catch let error as ServerError {
            throw DPMError.database(sentence(error.message), sqlState: error.code)
        }
    }

    func execute(_ sql: String) throws {
        do {
            try connection.execute(sql)
        } catch let error as ServerError {
            throw DPMError.database(sentence(error.message), sqlState: error.code)
        }
    }

    func query(_ sql: String, parameters: [String?]) throws -> [[String?]] {
        do {
            return try connection.query(sql, parameters)
        } catch let error as ServerError {
            throw DPMError.database(sentence(error.message), sqlState: error.code)
        }
    }
}
