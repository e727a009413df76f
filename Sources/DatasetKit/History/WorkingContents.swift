import Foundation

/// The database ports `dpm diff --working` reads the working database through.
public typealias WorkingDatabaseReader = DatabaseCatalog & DatabaseQuery & DumpTools

/// `--working`: the working database and media folder measured as an upload would measure
/// them, without storing anything: the schema dump normalized, the data dumped with pg_dump
/// into a private scratch folder (removed afterwards) and each table's file hashed with the
/// store's kind of id and its rows counted, each media file hashed likewise. So a table
/// unchanged since its snapshot was restored has the snapshot's id, and rows and bytes on
/// both sides are the same measure.
struct WorkingContents {
    let workspace: Workspace
    let server: any WorkingDatabaseReader
    let jobs: Int

    /// The working database through `filters` (the other side's snapshot's, so that a table
    /// it left out does not show as added).
    func read(filters: TableFilters, transfer: ObjectTransfer) throws -> DiffContents {
        let database = server.defaultDatabase
        let project = workspace.project
        let summary = DiffSideSummary(side: DiffSide.workingFlag, database: database, mediaFolder: project.config.media)
        let schema = SchemaNormalizer.normalize(try server.dumpSchema(of: database, filters: filters))
        let tables = try workspace.withScratchDirectory("diff") { scratch in
            try dumpedTables(of: database, filters: filters, into: "\(scratch)/dump", transfer: transfer)
        }
        let migrations = try MigrationDetector.detect(in: database, on: server)
        let media = try mediaFiles(transfer: transfer)
        workspace.progress.end()
        return DiffContents(summary: summary, schema: schema, tables: tables, media: media,
                            noMedia: media == nil ? "dpm.yaml names no media folder" : nil, migrations: migrations)
    }

    /// The working database must exist before anything is read of either side.
    func requireDatabase() throws {
        let database = server.defaultDatabase
        guard try server.databaseExists(database) else {
            throw DPMError.notFound("The working database \(database) does not exist, so there is nothing to compare as --working; \"dpm use PROFILE\" creates it, or compare two snapshots.")
        }
    }

    private func dumpedTables(of database: String, filters: TableFilters, into directory: String,
                              transfer: ObjectTransfer) throws -> [String: TableFigures] {
        workspace.progress.begin("dumping \(database) with pg_dump -j \(jobs)")
        try server.dumpDirectory(of: database, to: directory, jobs: jobs, filters: filters)
        let files = DumpTOC.tableFiles(fromListing: try server.listDirectory(directory))
        workspace.progress.begin("hashing data", totalItems: files.count)
        let tables = Locked([String: TableFigures]())
        try concurrentForEach(Array(files), width: jobs) { file, table in
            let digest = try transfer.contentID(ofFileAt: "\(directory)/\(file)", countingLines: true)
            // A COPY data file ends with a "\." line and two blank lines, as upload counts them.
            let figures = TableFigures(rows: max(0, digest.newlines - 3), bytes: digest.size, id: digest.sha256)
            tables.withValue { $0[table] = figures }
            transfer.progress.advance(bytes: digest.size, items: 1)
        }
        return tables.current
    }

    /// The media folder's regular files, as upload would store them; nil without a media
    /// folder in dpm.yaml, none when the folder does not exist (yet).
    private func mediaFiles(transfer: ObjectTransfer) throws -> [String: MediaFigures]? {
        guard let folder = workspace.project.mediaDirectory else { return nil }
        guard FileManager.default.fileExists(atPath: folder) else { return [:] }
        let scan = try MediaScan.scan(folder)
        for path in scan.skipped { workspace.note("Skipped \(path) in the media folder: only regular files are compared, as only they are uploaded.") }
        workspace.progress.begin("hashing media", totalItems: scan.files.count)
        let files = Locked([String: MediaFigures]())
        try concurrentForEach(scan.files, width: jobs) { file in
            let digest = try transfer.contentID(ofFileAt: file.absolutePath)
            files.withValue { $0[file.relativePath] = MediaFigures(size: digest.size, mode: file.mode, id: digest.sha256) }
            transfer.progress.advance(bytes: digest.size, items: 1)
        }
        return files.current
    }
}
