import Foundation

/// A dump given to `dpm upload --from-dump`, as its content (not its name) says it is: a
/// custom-format file, a directory-format folder or a plain SQL file, the files optionally
/// gzip- or zstd-compressed as a whole.
public struct DumpFile: Sendable {
    public enum Format: String, Sendable {
        case custom, directory, plain
    }

    public let path: String
    public let format: Format
    /// The whole file's compression; nil for a plain file and for a directory.
    public let compression: StreamCompression?
    /// The header of a custom or directory archive.
    public let archive: ArchiveHeader?
    /// The first lines of a plain dump.
    public let plain: PlainDumpHeader?
    /// Bytes as given (of every file, for a directory).
    public let size: Int64

    public var name: String { FilePath.lastComponent(path) }

    /// The snapshot record's account of it.
    public var origin: DumpOrigin {
        DumpOrigin(file: name, size: size, format: format.rawValue, compression: compression?.rawValue,
                   dataCompression: archive?.compression, archiveVersion: archive?.version, dumpedAt: archive?.dumpedAt,
                   database: archive?.database, serverVersion: archive?.serverVersion ?? plain?.serverVersion,
                   pgDumpVersion: archive?.pgDumpVersion ?? plain?.pgDumpVersion)
    }

    /// How much of a file's (decompressed) start is read to tell what it is.
    static let probeSize = 64 << 10

    /// Looks at `path` and says what dump it is, or refuses it in one sentence.
    public static func inspect(_ path: String, decompression: StreamDecompression) throws -> DumpFile {
        let name = FilePath.lastComponent(path)
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isFolder) else {
            throw DPMError.notFound("The dump \(path) does not exist.")
        }
        if isFolder.boolValue {
            let toc = FilePath.join(path, "toc.dat")
            guard FileManager.default.fileExists(atPath: toc) else {
                throw DPMError.invalidInput("\(name) is a folder without a toc.dat, so it is not a pg_dump directory-format dump.")
            }
            guard let header = ArchiveHeader.parse(try start(of: toc, decompression: decompression, compression: nil)),
                  header.format == .directory else {
                throw DPMError.invalidInput("\(name)/toc.dat does not start with a pg_dump archive header, so \(name) is not a directory-format dump.")
            }
            return DumpFile(path: path, format: .directory, compression: nil, archive: header, plain: nil, size: try folderSize(path))
        }
        let size = FileSize.of(path)
        let compression = StreamCompression.detect(try start(of: path, decompression: decompression, compression: nil, limit: 4))
        let bytes = try start(of: path, decompression: decompression, compression: compression)
        let wrapped = compression.map { " (\($0.rawValue)-compressed)" } ?? ""
        if bytes.starts(with: ArchiveHeader.magic) {
            guard let header = ArchiveHeader.parse(bytes) else {
                throw DPMError.invalidInput("\(name) starts like a pg_dump custom-format dump but its header is cut short, so it is not a usable dump.")
            }
            guard header.format == .custom else {
                throw DPMError.invalidInput("\(name)\(wrapped) is the toc.dat of a directory-format dump; give the folder that holds it.")
            }
            return DumpFile(path: path, format: .custom, compression: compression, archive: header, plain: nil, size: size)
        }
        let text = String(decoding: bytes, as: UTF8.self)
        if let header = PlainDumpHeader.parse(text) {
            guard !header.createsDatabase else {
                throw DPMError.invalidInput("\(name) was made with pg_dump --create: it creates its own database and connects to it, so dpm cannot load it into a scratch one; dump without --create.")
            }
            return DumpFile(path: path, format: .plain, compression: compression, archive: nil, plain: header, size: size)
        }
        if text.hasPrefix("--\n-- PostgreSQL database cluster dump") {
            throw DPMError.invalidInput("\(name) is a pg_dumpall dump of a whole server; dpm imports the dump of one database (pg_dump).")
        }
        if bytes.count > 262, Array(bytes[257..<262]) == Array("ustar".utf8) {
            throw DPMError.invalidInput("\(name)\(wrapped) is a tar file, not a dump dpm imports; give a pg_dump custom-format file, directory-format folder or plain SQL file.")
        }
        throw DPMError.invalidInput("\(name)\(wrapped) is not a pg_dump dump: it is neither a custom-format file (PGDMP), a directory-format folder nor plain SQL starting \"-- PostgreSQL database dump\".")
    }

    /// The plain bytes of the file, decompressed as they are read.
    func reader(decompression: StreamDecompression) throws -> ByteReader {
        try Self.reader(of: path, decompression: decompression, compression: compression)
    }

    private static func reader(of path: String, decompression: StreamDecompression, compression: StreamCompression?) throws -> ByteReader {
        let file = try FileReader(path: path)
        return try compression.map { try decompression.decompressing(file, from: $0) } ?? file
    }

    /// Up to `limit` plain bytes from the start of `path`.
    private static func start(of path: String, decompression: StreamDecompression, compression: StreamCompression?,
                              limit: Int = probeSize) throws -> [UInt8] {
        do {
            let source = try reader(of: path, decompression: decompression, compression: compression)
            var bytes = [UInt8](repeating: 0, count: limit)
            var count = 0
            while count < limit {
                let read = try bytes.withUnsafeMutableBytes { try source.read(into: UnsafeMutableRawBufferPointer(rebasing: $0[count...])) }
                if read == 0 { break }
                count += read
            }
            return Array(bytes[0..<count])
        } catch let error as DPMError where error.kind == .corrupt {
            throw error.rephrased("\(FilePath.lastComponent(path)) cannot be read: \(error.message).")
        }
    }

    private static func folderSize(_ path: String) throws -> Int64 {
        try FileManager.default.contentsOfDirectory(atPath: path).reduce(0) { total, name in
            total + FileSize.of(FilePath.join(path, name))
        }
    }
}

/// Loads a dump into a database of the local server: pg_restore for archives, psql for
/// plain SQL, streamed through decompression.
struct DumpImport {
    let server: DatabaseServer
    let decompression: StreamDecompression
    let workspace: Workspace
    let jobs: Int

    /// Runs `body` with the dump loaded into a new scratch database (made with the dump's
    /// encoding), dropped afterwards whatever happens.
    func withLoaded<T>(_ dump: DumpFile, _ body: (String) throws -> T) throws -> T {
        try workspace.withScratchDirectory("import") { scratch in
            switch dump.format {
            case .plain:
                return try withScratchDatabase(encoding: dump.plain?.encoding) { database in
                    try loadPlain(dump, into: database)
                    return try body(database)
                }
            case .custom, .directory:
                // pg_restore reads an archive by seeking in it: a compressed one is expanded first.
                let archive = dump.compression == nil ? dump.path : FilePath.join(scratch, "dump")
                if dump.compression != nil { try expand(dump, to: archive) }
                let encoding = try preamble(of: archive, dump: dump, scratch: scratch).encoding
                return try withScratchDatabase(encoding: encoding) { database in
                    try restore(archive, dump: dump, into: database)
                    if archive != dump.path { try? FileManager.default.removeItem(atPath: archive) }
                    return try body(database)
                }
            }
        }
    }

    /// A scratch database with the dump's encoding; sorting bytewise (C) unless the encoding
    /// is UTF8, where the server's default locale fits.
    private func withScratchDatabase<T>(encoding: String?, _ body: (String) throws -> T) throws -> T {
        let properties = encoding.flatMap { $0.uppercased() == "UTF8" ? nil : DatabaseProperties(encoding: $0, localeProvider: .libc, collate: "C", ctype: "C") }
        return try server.withScratchDatabase("import", like: properties, note: workspace.note, body)
    }

    private func expand(_ dump: DumpFile, to path: String) throws {
        workspace.progress.begin("decompressing \(dump.name)")
        defer { workspace.progress.end() }
        let writer = try FileWriter(path: path, exclusive: true, mode: 0o600, durable: false)
        _ = try readable(dump) { try dump.reader(decompression: decompression).pump(into: writer) }
        try writer.finish()
    }

    /// What pg_restore prints before the first entry (the versions and `SET client_encoding`),
    /// read with an empty list of entries.
    private func preamble(of archive: String, dump: DumpFile, scratch: String) throws -> PlainDumpHeader {
        let list = FilePath.join(scratch, "empty.list")
        try PrivateFiles.createFile(list)
        let text = try restoring(dump) { try server.restoreScript(of: archive, sections: [], listFile: list) }
        return PlainDumpHeader.parse(text) ?? PlainDumpHeader(createsDatabase: false)
    }

    private func restore(_ archive: String, dump: DumpFile, into database: String) throws {
        workspace.progress.begin("loading \(dump.name) into a scratch database with pg_restore -j \(jobs)")
        defer { workspace.progress.end() }
        try restoring(dump) { try server.restoreDirectory(archive, into: database, jobs: jobs, sections: [], listFile: nil) }
    }

    private func loadPlain(_ dump: DumpFile, into database: String) throws {
        workspace.progress.begin("loading \(dump.name) into a scratch database with psql")
        defer { workspace.progress.end() }
        try readable(dump) {
            do {
                try server.runDumpScript(from: try dump.reader(decompression: decompression), in: database)
            } catch let error as DPMError {
                guard let problem = error.tool?.script else { throw error }
                throw error.rephrased("The plain SQL dump \(dump.name) failed to load \(sentence(problem.summary))")
            }
        }
    }

    /// pg_restore's failure told as one sentence naming the dump and the pg_dump that made it.
    private func restoring<T>(_ dump: DumpFile, _ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let error as DPMError {
            guard let failure = error.tool else { throw error }
            let maker = [dump.archive?.pgDumpVersion.map { "made by pg_dump \($0)" }, "archive version \(dump.archive?.version ?? "unknown")"]
                .compactMap { $0 }.joined(separator: ", ")
            let words = failure.lastLines.map { $0.replacingOccurrences(of: "pg_restore: error: ", with: "") }
                .filter { !$0.hasPrefix("pg_restore: warning") }.joined(separator: " / ")
            throw error.rephrased("pg_restore cannot load the dump \(dump.name) (\(maker)): \(sentence(words.isEmpty ? failure.statusText : words))")
        }
    }

    /// A damaged compressed stream told as one sentence naming the dump.
    private func readable<T>(_ dump: DumpFile, _ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let error as DPMError where error.kind == .corrupt {
            throw error.rephrased("\(dump.name) cannot be read: \(sentence(error.message))")
        }
    }
}
