import Foundation

/// Profiles of kind `clean` keep schema and seed data in git under
/// db/migration-base/<name>/ (schema.sql, data.sql) instead of the store.
public struct CleanProfileFiles {
    let project: Project
    let server: DatabaseServer

    public init(project: Project, server: DatabaseServer) {
        self.project = project
        self.server = server
    }

    public func schemaPath(_ name: ProfileName) -> String { "\(project.cleanBaseDirectory(name))/schema.sql" }
    public func dataPath(_ name: ProfileName) -> String { "\(project.cleanBaseDirectory(name))/data.sql" }

    /// Writes the database's schema (pre-data, then post-data after the marker line) and data
    /// into the profile's git folder, and its manifest, once the files have loaded into a
    /// scratch database: files that would not restore are never written.
    func capture(profile: ProfileName, database: String, filters: TableFilters, version: ServerVersion, started: Date,
                 message: String, workspace: Workspace) throws -> UploadResult {
        let properties = try server.properties(of: database)
        let (schema, data, inventory) = try workspace.withScratchDirectory("clean") { folder in
            let parts = try sections(of: database, filters: filters, folder: folder)
            let schema = Data(CleanSchemaLayout.compose(preData: parts.preData, postData: parts.postData).utf8)
            let data = Data(parts.data.utf8)
            let inventory = try prove(schema: schema, data: data, of: profile, from: database, folder: folder)
            return (schema, data, inventory)
        }
        let migrations = try MigrationDetector.detect(in: database, on: server)
        let directory = project.cleanBaseDirectory(profile)
        try createFolder(directory)
        try AtomicFile.write(schema, to: schemaPath(profile))
        try AtomicFile.write(data, to: dataPath(profile))
        let snapshot = Self.record(profile: profile, schema: schema, data: data, migrations: migrations, filters: filters,
                                   source: SnapshotSource(database: database, serverVersion: version.text, serverVersionNumber: version.number,
                                                          properties: properties),
                                   started: started, message: message, toolVersion: workspace.toolVersion)
        try project.writeManifest(snapshot, for: profile)
        return UploadResult(snapshot: snapshot.id, profile: profile.value, bytesRead: Int64(schema.count + data.count),
                            bytesStored: 0, objectsStored: 0, objectsReused: 0, duplicates: 0, tables: inventory.tables,
                            rows: inventory.rows, mediaFiles: 0, skippedMedia: [],
                            files: [project.relative(schemaPath(profile)), project.relative(dataPath(profile))],
                            seconds: workspace.now().timeIntervalSince(started))
    }

    /// pg_dump's three sections of one dump (so they agree with each other), each as the
    /// normalized SQL pg_restore would run for it.
    func sections(of database: String, filters: TableFilters, folder: String) throws -> (preData: String, data: String, postData: String) {
        let dump = "\(folder)/dump", list = "\(folder)/dump.list"
        try server.dumpDirectory(of: database, to: dump, jobs: 1, filters: filters)
        try Data(try server.listDirectory(dump).utf8).write(to: URL(fileURLWithPath: list))
        func script(_ section: DumpSection) throws -> String {
            SchemaNormalizer.normalize(try server.restoreScript(of: dump, sections: [section], listFile: list))
        }
        return (try script(.preData), try script(.data), try script(.postData))
    }

    /// Loads the files about to be written into a scratch database; what they hold is what
    /// the summary reports.
    private func prove(schema: Data, data: Data, of profile: ProfileName, from database: String, folder: String) throws -> DatabaseInventory {
        try createFolder("\(folder)/check", purpose: "a scratch folder", permissions: 0o700)
        let schemaFile = "\(folder)/check/schema.sql", dataFile = "\(folder)/check/data.sql"
        try schema.write(to: URL(fileURLWithPath: schemaFile))
        try data.write(to: URL(fileURLWithPath: dataFile))
        return try server.withScratchDatabase("scratch") { scratch in
            do {
                try CleanBaseLoader(server: server).load(schema: schemaFile, data: dataFile, into: scratch)
            } catch let failure as CleanBaseLoader.Failure {
                let file = failure.file == schemaFile ? "schema.sql" : "data.sql"
                let problem = failure.message.replacingOccurrences(of: "\(folder)/check/", with: "")
                    .trimmingCharacters(in: CharacterSet(charactersIn: ". "))
                throw DPMError.invalidInput("The \(file) dumped from \(database) does not load into an empty database (\(problem)), so dpm wrote nothing for the clean profile \(profile); fix the source database or keep this data in a shared profile.")
            }
            return try DatabaseInventory.take(of: scratch, on: server)
        }
    }

    /// The manifest of a clean profile: what its files in git hold, with no objects in the store.
    static func record(profile: ProfileName, schema: Data, data: Data, migrations: [MigrationState], filters: TableFilters,
                       source: SnapshotSource, started: Date, message: String, toolVersion: String) -> Snapshot {
        Snapshot(
            format: Snapshot.currentFormat, id: SnapshotID.make(at: started), profile: profile.value, kind: .clean,
            createdAt: Timestamp.iso8601(started), message: message, tool: "dpm \(toolVersion)", compression: "none",
            source: source, filters: filters, migrations: migrations,
            schema: Artifact(path: "schema.sql", sha256: SHA256Hex.of(schema), size: Int64(schema.count), storedSize: 0),
            data: [Artifact(path: "data.sql", sha256: SHA256Hex.of(data), size: Int64(data.count), storedSize: 0)],
            media: nil,
            sizes: SnapshotSizes(total: Int64(schema.count + data.count), stored: 0, data: Int64(data.count), media: 0),
            inGit: true
        )
    }

    /// Names the content of the files in git, so that a cached copy is rebuilt when they change:
    /// "git-" and the first 12 hex digits of the hash of both files.
    func contentKey(profile: ProfileName) throws -> String {
        let schema = try requireSchema(profile)
        let schemaHash = SHA256Hex.of(FileManager.default.contents(atPath: schema) ?? Data())
        let dataHash = SHA256Hex.of(FileManager.default.contents(atPath: dataPath(profile)) ?? Data())
        return "git-" + SHA256Hex.of(Data((schemaHash + dataHash).utf8)).prefix(12)
    }

    private func requireSchema(_ profile: ProfileName) throws -> String {
        let schema = schemaPath(profile)
        guard FileManager.default.fileExists(atPath: schema) else {
            throw DPMError.notFound("The clean profile \(profile) has no \(project.relative(schema)); run \"dpm upload \(profile)\" from a database with the base schema, or write it by hand.")
        }
        return schema
    }

    /// Loads the profile's files into an existing empty database: schema.sql's pre-data part,
    /// data.sql, then its post-data part (a schema.sql without the marker: whole, then data.sql).
    func load(profile: ProfileName, into database: String) throws {
        let schema = try requireSchema(profile)
        let data = dataPath(profile)
        do {
            try CleanBaseLoader(server: server).load(schema: schema, data: FileManager.default.fileExists(atPath: data) ? data : nil,
                                                     into: database)
        } catch let failure as CleanBaseLoader.Failure {
            throw failure.error
        }
    }
}
