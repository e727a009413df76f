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
    /// stored (a failure to connect or to read the schema stores nothing).
    func store(_ database: String, filters: TableFilters, into directory: String, beforeData: () throws -> Void) throws -> Stored {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: false, attributes: [.posixPermissions: 0o700])
        let chunkStore = transfer.chunkStoring(width: jobs, recordedSizes: recorded)
        var cuts: [String: ObjectTransfer.CutContent] = [:]
        do {
            try server.streamArchive(of: database, filters: filters) { source in
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
                try beforeData()
                try ArchiveDataBlocks.forEach(in: reader, toc: toc, wanted: Set(files.keys), decompression: nil) { entry, plain in
                    cuts[files[entry.dumpId]!] = try transfer.cut(plain, into: chunkStore, countingLines: true, parameters: parameters)
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
