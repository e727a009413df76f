import Foundation

/// A pg_dump archive's header and table of contents as read from the start of a custom-format
/// file or from a directory dump's toc.dat, kept byte for byte where dpm does not change it, so
/// that it can be written out again as the toc.dat of an uncompressed directory dump: the
/// layout dpm stores and restores.
public struct ArchiveTOC: Sendable {
    /// The oldest archive version read: pg_dump 9.0's (1.12); anything older is loaded by pg_restore.
    static let oldestVersion = ArchiveVersion(major: 1, minor: 12, revision: 0)
    /// The newest: pg_dump 17's. A newer archive may hold fields dpm cannot know of.
    static let newestVersion = ArchiveVersion(major: 1, minor: 16, revision: 255)

    public let header: ArchiveHeader
    public let version: ArchiveVersion
    public let format: ArchiveHeader.Format
    public let entries: [ArchiveEntry]
    /// Per dump id: the data file a directory dump's toc.dat names (a custom file has none).
    public let dataFiles: [Int: String]

    let intSize: Int
    private let rawHeader: [UInt8]
    private let formatByte: Int
    /// Where the header says how the data is compressed (a byte from 1.15 on, an int before).
    private let compressionField: Range<Int>
    /// Each entry's fields up to its dependency list, as read.
    private let rawEntries: [[UInt8]]

    /// Reads the header and the table of contents, leaving `reader` at the first data block
    /// (of a custom-format file).
    static func read(_ reader: ArchiveReader) throws -> ArchiveTOC {
        reader.startRecording()
        let (header, formatByte, compressionField) = try ArchiveHeader.read(from: reader)
        let rawHeader = reader.stopRecording()
        let version = reader.version
        guard version >= oldestVersion, version <= newestVersion else {
            throw DPMError.invalidInput("its archive version \(version) is not one dpm reads directly")
        }
        guard (1...8).contains(reader.intSize), (1...8).contains(reader.offsetSize) else {
            throw DPMError.corrupt("its header gives integers of \(reader.intSize) bytes and offsets of \(reader.offsetSize), so it is damaged")
        }
        let format = header.format
        do {
            return try entries(of: reader, header: header, version: version, format: format, rawHeader: rawHeader,
                               formatByte: formatByte, compressionField: compressionField)
        } catch let error as DPMError where error.message.hasPrefix(ArchiveReader.truncation) {
            throw error.rephrased("its table of contents is cut short (\(error.message))")
        }
    }

    private static func entries(of reader: ArchiveReader, header: ArchiveHeader, version: ArchiveVersion, format: ArchiveHeader.Format,
                                rawHeader: [UInt8], formatByte: Int, compressionField: Range<Int>) throws -> ArchiveTOC {
        let count = try reader.int()
        guard (0...10_000_000).contains(count) else {
            throw DPMError.corrupt("its table of contents claims \(count) entries, so it is damaged")
        }
        var entries: [ArchiveEntry] = []
        var rawEntries: [[UInt8]] = []
        var dataFiles: [Int: String] = [:]
        entries.reserveCapacity(count)
        for _ in 0..<count {
            reader.startRecording()
            let dumpId = try reader.int()
            guard dumpId > 0 else { throw DPMError.corrupt("its table of contents holds entry id \(dumpId), so it is damaged") }
            let hadDumper = try reader.int() != 0
            _ = try reader.string() // the catalog's table oid
            _ = try reader.string() // the object's oid
            let tag = try reader.string() ?? ""
            let desc = try reader.string() ?? ""
            let section = ArchiveEntry.Section(rawValue: try reader.int()) ?? .none
            let defn = try reader.string() ?? ""
            _ = try reader.string() // the DROP statement
            let copyStmt = try reader.string()
            let namespace = try reader.string()
            _ = try reader.string() // the tablespace
            if version.atLeast(1, 14) { _ = try reader.string() } // the table access method
            if version.atLeast(1, 16) { _ = try reader.int() } // the relation kind
            let owner = try reader.string()
            _ = try reader.string() // "false": tables WITH OIDS are gone
            rawEntries.append(reader.stopRecording())
            var dependencies: [Int] = []
            while let dependency = try reader.string() {
                guard let id = Int(dependency) else { throw DPMError.corrupt("its table of contents names a dependency \"\(dependency)\", so it is damaged") }
                dependencies.append(id)
            }
            switch format {
            case .custom: _ = try reader.offset()
            case .directory: if let file = try reader.string(), !file.isEmpty { dataFiles[dumpId] = file }
            }
            entries.append(ArchiveEntry(dumpId: dumpId, hadDumper: hadDumper, tag: tag, desc: desc, section: section, defn: defn,
                                        copyStmt: copyStmt, namespace: namespace, owner: owner, dependencies: dependencies))
        }
        return ArchiveTOC(header: header, version: version, format: format, entries: entries, dataFiles: dataFiles,
                          intSize: reader.intSize, rawHeader: rawHeader, formatByte: formatByte, compressionField: compressionField,
                          rawEntries: rawEntries)
    }

    /// The toc.dat of an uncompressed directory dump holding the entries `keep` accepts, the
    /// data entries among them in `dataFiles` (dump id → file name). Dependencies on entries
    /// left out are dropped, as pg_dump would not have written them.
    func directoryTOC(keeping keep: (ArchiveEntry) -> Bool, dataFiles: [Int: String]) -> [UInt8] {
        var header = rawHeader
        // pg_dump writes a directory dump's toc.dat with the tar format's code (pg_backup_directory.c).
        header[formatByte] = 3
        for index in compressionField { header[index] = 0 }
        var writer = ArchiveWriter(intSize: intSize)
        writer.append(header)
        let kept = entries.indices.filter { keep(entries[$0]) }
        let keptIds = Set(kept.map { entries[$0].dumpId })
        writer.int(kept.count)
        for index in kept {
            writer.append(rawEntries[index])
            for dependency in entries[index].dependencies where keptIds.contains(dependency) { writer.string(String(dependency)) }
            writer.string(nil)
            // pg_restore reads "" as no file; a missing string would crash it (pg_backup_directory.c).
            writer.string(dataFiles[entries[index].dumpId] ?? "")
        }
        return writer.bytes
    }
}
