import Foundation

/// Where an upload makes its temporary databases: the local working server (whatever server
/// `--from` reads), and how it reads compressed dump files.
public struct ScratchServer: Sendable {
    public let server: DatabaseServer
    public let decompression: StreamDecompression

    public init(server: DatabaseServer, decompression: StreamDecompression) {
        self.server = server
        self.decompression = decompression
    }
}

/// The database an upload reads: the source itself, or a temporary copy of it on the local
/// working server (a dump loaded with `--from-dump`, a source the sanitize scripts ran on).
public struct UploadSource: Sendable {
    public let server: DatabaseServer
    public let database: String
    /// The name the snapshot records as its source (never a scratch database's).
    public let recordedName: String
    public let dump: DumpOrigin?
    /// The original's properties when `database` is a copy of a database (the copy is made
    /// like it, but its comment is dpm's label); nil: read them from `database`.
    public let properties: DatabaseProperties?
    /// The sanitize scripts that ran on the copy, for the snapshot's sanitize record.
    public let scripts: [SanitizeScriptRecord]
    /// The server version of the database copied; nil: that of `server`.
    public var sourceVersion: ServerVersion? = nil
    /// A dump read directly, without a database: `database` is then only where rules' values are checked.
    var archive: DirectArchive? = nil
}

extension Upload {
    /// Uploads from the source, or from a scratch copy on `scratch`'s server where one is needed
    /// (`--from-dump`, `sanitize.scripts`); the copy is dropped whatever happens.
    public func run(_ options: UploadOptions, scratch: ScratchServer) throws -> UploadResult {
        // Loading a dump or copying the source for the sanitize scripts can take minutes: what
        // needs nothing of the source is checked first.
        _ = try sanitizeKey(for: try workspace.project.profile(options.profile))
        return try ScratchSource(workspace: workspace, server: server, database: database, scratch: scratch).withSource(options) { source in
            try Upload(workspace: workspace, server: source.server, database: source.database, sanitize: sanitizeSettings, standIn: source)
                .run(options)
        }
    }
}

/// Chooses the database an upload reads, making and dropping the scratch copy it needs.
struct ScratchSource {
    let workspace: Workspace
    let server: DatabaseServer
    let database: String
    let scratch: ScratchServer

    /// Runs `body` with the database to read; a scratch copy is dropped afterwards whatever happens
    /// (one left by a killed dpm carries a scratch label that `dpm cleanup` recognises).
    func withSource<T>(_ options: UploadOptions, _ body: (UploadSource) throws -> T) throws -> T {
        let spec = try workspace.project.profile(options.profile)
        let scripts = try SanitizeScripts(of: options.profile, spec: spec, project: workspace.project)
        guard options.fromDump != nil || !scripts.isEmpty else {
            return try body(UploadSource(server: server, database: database, recordedName: database, dump: nil, properties: nil, scripts: []))
        }
        if spec.kind == .clean {
            throw DPMError.invalidInput(options.fromDump != nil
                ? "\(options.profile) is a clean profile, whose files are written from a database: restore the dump into one and run dpm upload \(options.profile) --from it."
                : "\(options.profile) is a clean profile, whose files hold schema and seed data only; sanitize scripts are for shared and customer profiles.")
        }
        if let path = options.fromDump {
            let dump = try DumpFile.inspect(path, decompression: scratch.decompression)
            let direct = try DirectArchive.direct(dump, filters: spec.tables.merged(with: options.filters), scripts: !scripts.isEmpty,
                                                  decompression: scratch.decompression)
            if let archive = direct.archive {
                return try body(UploadSource(server: scratch.server, database: scratch.server.defaultDatabase,
                                             recordedName: dump.archive?.database ?? dump.name, dump: dump.origin,
                                             properties: archive.properties, scripts: [], sourceVersion: archive.serverVersion,
                                             archive: archive))
            }
            if let reason = direct.reason {
                workspace.note("Loading \(dump.name) into a scratch database first: \(reason).")
            }
            let load = DumpImport(server: scratch.server, decompression: scratch.decompression, workspace: workspace, jobs: options.jobs)
            return try load.withLoaded(dump) { copy in
                try scripts.run(in: copy, on: scratch.server, progress: workspace.progress)
                try workspace.checkpoint("upload.scratch-ready")
                return try body(UploadSource(server: scratch.server, database: copy, recordedName: dump.archive?.database ?? dump.name,
                                             dump: dump.origin, properties: nil, scripts: scripts.records))
            }
        }
        let properties = try server.properties(of: database)
        let version = try server.serverVersion()
        return try scratch.server.withScratchDatabase("sanitize", like: properties, note: workspace.note) { copy in
            try self.copy(into: copy, on: scratch.server, jobs: options.jobs)
            try scripts.run(in: copy, on: scratch.server, progress: workspace.progress)
            try workspace.checkpoint("upload.scratch-ready")
            return try body(UploadSource(server: scratch.server, database: copy, recordedName: database, dump: nil,
                                         properties: properties, scripts: scripts.records, sourceVersion: version))
        }
    }

    /// The source's pg_dump -Fd, restored into `copy`; the dump folder is gone before the upload reads the copy.
    private func copy(into copy: String, on local: DatabaseServer, jobs: Int) throws {
        try workspace.withScratchDirectory("sanitize") { scratch in
            let folder = FilePath.join(scratch, "dump")
            workspace.progress.begin("copying \(database) into a scratch database for the sanitize scripts")
            defer { workspace.progress.end() }
            try server.dumpDirectory(of: database, to: folder, jobs: jobs, filters: TableFilters())
            try local.restoreDirectory(folder, into: copy, jobs: jobs, sections: [], listFile: nil)
        }
    }
}
