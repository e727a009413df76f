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

    /// Writes the database's normalized schema and data into the profile's git folder and its manifest.
    func capture(profile: ProfileName, database: String, filters: TableFilters, version: ServerVersion, started: Date,
                 message: String, toolVersion: String, now: () -> Date) throws -> UploadResult {
        let schema = Data(SchemaNormalizer.normalize(try server.dumpSchema(of: database, filters: filters)).utf8)
        let data = Data(SchemaNormalizer.normalize(try server.dumpDataSQL(of: database, filters: filters)).utf8)
        let migrations = try MigrationDetector.detect(in: database, on: server)
        let directory = project.cleanBaseDirectory(profile)
        try createFolder(directory)
        try AtomicFile.write(schema, to: schemaPath(profile))
        try AtomicFile.write(data, to: dataPath(profile))
        let snapshot = Self.record(profile: profile, schema: schema, data: data, migrations: migrations, filters: filters,
                                   source: SnapshotSource(database: database, serverVersion: version.text, serverVersionNumber: version.number),
                                   started: started, message: message, toolVersion: toolVersion)
        try project.writeManifest(snapshot, for: profile)
        return UploadResult(snapshot: snapshot.id, profile: profile.value, bytesRead: Int64(schema.count + data.count),
                            bytesStored: 0, objectsStored: 0, objectsReused: 0, tables: 0, mediaFiles: 0, skippedMedia: [],
                            seconds: now().timeIntervalSince(started))
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
            throw DPMError("The clean profile \(profile) has no \(project.relative(schema)); run \"dpm upload \(profile)\" from a database with the base schema, or write it by hand.")
        }
        return schema
    }

    /// Loads schema.sql then data.sql into an existing empty database.
    func load(profile: ProfileName, into database: String) throws {
        let schema = try requireSchema(profile)
        try server.runSQLFile(schema, in: database)
        let data = dataPath(profile)
        if FileManager.default.fileExists(atPath: data) { try server.runSQLFile(data, in: database) }
    }

}
