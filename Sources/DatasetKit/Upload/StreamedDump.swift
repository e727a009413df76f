import Foundation

/// The upload's data read straight from pg_dump, without a scratch copy: `pg_dump -Fc -Z0`
/// writes into a pipe, its table of contents becomes the snapshot's toc.dat (the only file
/// written, into the scratch folder), and each table's COPY data is cut into chunks and
/// stored as it arrives, `jobs` chunks at once. Temporary space is the toc.dat, and memory
/// about `jobs` chunks, whatever the database's size. One pg_dump reads every table in one
/// snapshot, as `-Fd -j` does with its workers.
struct StreamedDump {
    let server: DumpTools
    let transfer: ObjectTransfer
    let jobs: Int
    let recorded: [String: Int64]
    let parameters: ChunkerParameters = .standard

    /// Data file name ("3456.dat") → what storing it gave, for every table data entry.
    typealias Stored = [String: ObjectTransfer.StoredArtifact]

    /// Streams `database` into the store; writes toc.dat into `directory` (which must not
    /// exist). `beforeData` runs once the table of contents is read and before any object is
    /// stored (a failure to connect or to read the schema stores nothing). `snapshot`: read in
    /// that exported snapshot; `pass`: what each table's data goes through before it is cut.
    func store(_ database: String, filters: TableFilters, snapshot: String? = nil, pass: StreamedDataPass? = nil,
               into directory: String, beforeData: () throws -> Void) throws -> Stored {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: false, attributes: [.posixPermissions: 0o700])
        let chunkStore = transfer.chunkStoring(width: jobs, recordedSizes: recorded)
        var cuts: [String: ObjectTransfer.CutContent] = [:]
        do {
            try server.streamArchive(of: database, filters: filters, dataOnly: false, snapshot: snapshot) { source in
                let reader = ArchiveReader(source: source)
                let toc = try ArchiveTOC.read(reader)
                if let reason = ArchiveUnpacker.unreadable(toc) {
                    throw DPMError.internal("pg_dump wrote an archive dpm cannot stream: \(reason).")
                }
                let data = toc.entries.filter { $0.desc == "TABLE DATA" }
                let files = Dictionary(uniqueKeysWithValues: data.map { ($0.dumpId, "\($0.dumpId).dat") })
                let tocFile = try FileWriter(path: FilePath.join(directory, "toc.dat"), exclusive: true, mode: 0o600, durable: false)
                try toc.directoryTOC(keeping: { _ in true }, dataFiles: files).withUnsafeBytes { try tocFile.write($0) }
                try tocFile.finish()
                try pass?.prepare(data)
                try beforeData()
                try ArchiveDataBlocks.forEach(in: reader, toc: toc, wanted: Set(files.keys), decompression: nil) { entry, plain in
                    // Named as the record names tables (`DumpTOC.tableFiles`), for the older chunks to patch against.
                    let table = "\(entry.namespace ?? "").\(entry.tag)"
                    cuts[files[entry.dumpId]!] = try transfer.cut(plain, into: chunkStore, countingLines: true, parameters: parameters,
                                                                  table: table, through: pass.map { pass in { try pass.writer(for: entry, into: $0) } })
                }
            }
        } catch {
            _ = try? chunkStore.finish() // no chunk is still being stored once this returns
            throw error
        }
        let chunks = try chunkStore.finish()
        return try cuts.mapValues { cut in
            try transfer.storeList(of: Array(chunks[cut.chunks]), newlines: cut.newlines, recordedSizes: recorded)
        }
    }
}

/// What a streamed upload does to each table's data between pg_dump and the chunker (the
/// sanitize rules, once the reads before it have checked them).
protocol StreamedDataPass {
    /// Runs once, when the archive's table of contents is read and before any of its data:
    /// `entries` are its table data entries.
    func prepare(_ entries: [ArchiveEntry]) throws
    /// The writer the data of `entry` goes through on its way to `sink`, which it finishes.
    func writer(for entry: ArchiveEntry, into sink: ByteWriter) throws -> ByteWriter
}
