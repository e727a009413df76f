import Foundation

/// Writes a pg_dump custom-format file or directory dump out as the folder dpm stores: an
/// uncompressed directory dump (toc.dat and one `<dump id>.dat` of COPY text per table), the
/// same layout `pg_dump -Fd -Z0` writes, without loading anything into a database. A custom
/// file is read once, front to back (so a `.gz` of one streams); an uncompressed directory
/// dump's data files are linked, not copied.
struct ArchiveUnpacker {
    let decompression: StreamDecompression

    /// Why dpm cannot read `toc` itself (pg_restore into a scratch database can); nil when it can.
    static func unreadable(_ toc: ArchiveTOC) -> String? {
        guard ["none", "gzip"].contains(toc.header.compression) else {
            return "its table data is \(toc.header.compression)-compressed"
        }
        if let other = toc.entries.first(where: { $0.hadDumper && $0.desc != "TABLE DATA" }) {
            return "it holds \(other.desc == "BLOBS" ? "large objects" : "\(other.desc) entries")"
        }
        return nil
    }

    /// The header and table of contents of `dump`.
    func toc(of dump: DumpFile) throws -> ArchiveTOC {
        try readable(dump) { try ArchiveTOC.read(ArchiveReader(source: try tocReader(of: dump))) }
    }

    /// Writes `dump` into `directory` (which must not exist), with the rows of the tables
    /// `storesRows` accepts; the table data entries of the others are left out, as
    /// `pg_dump --exclude-table-data` leaves them out.
    func unpack(_ dump: DumpFile, into directory: String, storesRows: (QualifiedTable) -> Bool) throws -> ArchiveTOC {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: false, attributes: [.posixPermissions: 0o700])
        return try readable(dump) {
            let reader = ArchiveReader(source: try tocReader(of: dump))
            let toc = try ArchiveTOC.read(reader)
            if let reason = Self.unreadable(toc) { throw DPMError.invalidInput("dpm cannot read it directly: \(reason)") }
            let wanted = Dictionary(uniqueKeysWithValues: toc.entries.filter { entry in
                entry.desc == "TABLE DATA" && storesRows(QualifiedTable(schema: entry.namespace ?? "", table: entry.tag))
            }.map { ($0.dumpId, $0) })
            let files = Dictionary(uniqueKeysWithValues: wanted.keys.map { ($0, toc.dataFiles[$0] ?? "\($0).dat") })
            switch toc.format {
            case .custom: try copyBlocks(from: reader, toc: toc, wanted: files, into: directory)
            case .directory: try linkFiles(of: dump.path, toc: toc, wanted: files, into: directory)
            }
            let tocFile = try FileWriter(path: FilePath.join(directory, "toc.dat"), exclusive: true, mode: 0o600, durable: false)
            let bytes = toc.directoryTOC(keeping: { $0.desc != "TABLE DATA" || wanted[$0.dumpId] != nil }, dataFiles: files)
            try bytes.withUnsafeBytes { try tocFile.write($0) }
            try tocFile.finish()
            return toc
        }
    }

    /// The stream the table of contents starts: the custom file (decompressed if it is
    /// compressed as a whole), or a directory dump's toc.dat.
    private func tocReader(of dump: DumpFile) throws -> ByteReader {
        switch dump.format {
        case .directory: try FileReader(path: FilePath.join(dump.path, "toc.dat"))
        default: try dump.reader(decompression: decompression)
        }
    }

    /// The data blocks after a custom file's table of contents, each wanted one decompressed into its file.
    private func copyBlocks(from reader: ArchiveReader, toc: ArchiveTOC, wanted: [Int: String], into directory: String) throws {
        try ArchiveDataBlocks.forEach(in: reader, toc: toc, wanted: Set(wanted.keys), decompression: decompression) { entry, plain in
            let writer = try FileWriter(path: FilePath.join(directory, wanted[entry.dumpId]!), exclusive: true, mode: 0o600, durable: false)
            _ = try plain.pump(into: writer)
            try writer.finish()
        }
    }

    /// A directory dump's data files: linked when plain (the upload replaces, never changes,
    /// a file it sanitizes), decompressed when gzip-compressed.
    private func linkFiles(of folder: String, toc: ArchiveTOC, wanted: [Int: String], into directory: String) throws {
        for (id, file) in wanted {
            let plain = FilePath.join(folder, file)
            let target = FilePath.join(directory, file)
            if FileManager.default.fileExists(atPath: plain) {
                try FileManager.default.createSymbolicLink(atPath: target, withDestinationPath: plain)
            } else if FileManager.default.fileExists(atPath: plain + ".gz") {
                let writer = try FileWriter(path: target, exclusive: true, mode: 0o600, durable: false)
                _ = try decompression.decompressing(try FileReader(path: plain + ".gz"), from: .gzip).pump(into: writer)
                try writer.finish()
            } else {
                let entry = toc.entries.first { $0.dumpId == id }
                throw DPMError.invalidInput("it lacks \(file), the data of \(entry.map { "\($0.namespace ?? "").\($0.tag)" } ?? "entry \(id)"), so it is incomplete")
            }
        }
    }

    /// Failures told as one sentence naming the dump.
    private func readable<T>(_ dump: DumpFile, _ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let error as DPMError where [.corrupt, .invalidInput].contains(error.kind) && !error.message.hasPrefix(dump.name) {
            throw error.rephrased("The dump \(dump.name) cannot be read: \(error.message).")
        }
    }
}

/// The data blocks after a custom archive's table of contents (`_StartData` in
/// pg_backup_custom.c: a block type, the entry's id, then chunks of a length and that many
/// bytes up to a length of 0), read front to back, so a stream (a pipe from pg_dump, a `.gz`)
/// serves as well as a file.
enum ArchiveDataBlocks {
    /// Hands each wanted block's plain bytes to `body` (which reads them, or not: the rest of a
    /// block is skipped), skipping the others; throws when the archive is damaged or cut short.
    /// `decompression` is needed only for an archive whose table data is compressed.
    static func forEach(in reader: ArchiveReader, toc: ArchiveTOC, wanted: Set<Int>, decompression: StreamDecompression?,
                        _ body: (ArchiveEntry, ByteReader) throws -> Void) throws {
        let names = Dictionary(toc.entries.map { ($0.dumpId, $0) }, uniquingKeysWith: { first, _ in first })
        var missing = Set(toc.entries.filter { $0.desc == "TABLE DATA" }.map(\.dumpId))
        while let type = try reader.nextByte() {
            guard type == 1 else {
                throw DPMError.corrupt("it holds a data block of type \(type) at byte \(reader.position - 1), where table data was expected, so it is damaged")
            }
            let id = try reader.int()
            guard let entry = names[id], missing.remove(id) != nil else {
                throw DPMError.corrupt("it holds data for entry \(id), which its table of contents does not list as table data, so it is damaged")
            }
            let chunks = ArchiveChunkReader(reader: reader)
            guard wanted.contains(id) else {
                try chunks.skip()
                continue
            }
            do {
                let plain: ByteReader
                if toc.header.compression == "none" {
                    plain = chunks
                } else if let decompression {
                    plain = try decompression.decompressing(chunks, from: .zlib)
                } else {
                    throw DPMError.corrupt("its table data is \(toc.header.compression)-compressed, where dpm asked pg_dump for none")
                }
                try body(entry, plain)
                try chunks.skip()
            } catch let error as DPMError where error.kind == .corrupt {
                let state = error.message.hasPrefix(ArchiveReader.truncation) ? "cut short" : "damaged"
                throw error.rephrased("the data of \(entry.namespace ?? "").\(entry.tag) is \(state) (\(error.message))")
            }
        }
        if let first = missing.min(), let entry = names[first] {
            throw DPMError.corrupt("it is cut short: it ends before the data of \(entry.namespace ?? "").\(entry.tag)\(missing.count > 1 ? " and \(missing.count - 1) more tables" : "")")
        }
    }
}

/// The bytes of one data block's chunks, one after the other.
final class ArchiveChunkReader: ByteReader {
    private let reader: ArchiveReader
    private var remaining = 0
    private var ended = false

    init(reader: ArchiveReader) {
        self.reader = reader
    }

    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        while remaining == 0 {
            if ended { return 0 }
            let length = try reader.int()
            if length == 0 {
                ended = true
                return 0
            }
            guard length > 0 else { throw DPMError.corrupt("a data chunk claims \(length) bytes at byte \(reader.position)") }
            remaining = length
        }
        let take = min(remaining, buffer.count)
        var copied = 0
        try reader.bytes(take) { bytes in
            UnsafeMutableRawBufferPointer(rebasing: buffer[copied..<(copied + bytes.count)]).copyMemory(from: bytes)
            copied += bytes.count
        }
        remaining -= take
        return take
    }

    /// Reads past whatever is left of the block.
    func skip() throws {
        let scratch = UnsafeMutableRawBufferPointer.allocate(byteCount: 64 << 10, alignment: 16)
        defer { scratch.deallocate() }
        while try read(into: scratch) > 0 {}
    }
}
