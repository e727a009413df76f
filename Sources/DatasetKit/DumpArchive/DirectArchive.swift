import Foundation

/// A custom or directory dump an upload reads without loading it into a database: its table of
/// contents says what the source held, its data files become the snapshot's.
struct DirectArchive: Sendable {
    let dump: DumpFile
    let toc: ArchiveTOC
    let unpacker: ArchiveUnpacker

    /// The dump when dpm can read it itself and the upload needs nothing a database would do
    /// (pg_dump's table selection, sanitize scripts); nil otherwise, with the reason.
    static func direct(_ dump: DumpFile, filters: TableFilters, scripts: Bool,
                       decompression: StreamDecompression) throws -> (archive: DirectArchive?, reason: String?) {
        guard dump.format != .plain else { return (nil, nil) }
        guard !scripts else { return (nil, nil) }
        guard filters.include.isEmpty, filters.exclude.isEmpty else {
            return (nil, "the profile's tables: include/exclude filters select tables as pg_dump does")
        }
        // An archive older or newer than dpm knows is pg_restore's to read (or to refuse, in its words).
        let parts = (dump.archive?.version ?? "").split(separator: ".").compactMap { Int($0) }
        guard parts.count == 3, (ArchiveTOC.oldestVersion...ArchiveTOC.newestVersion)
            .contains(ArchiveVersion(major: parts[0], minor: parts[1], revision: parts[2])) else { return (nil, nil) }
        let unpacker = ArchiveUnpacker(decompression: decompression)
        let toc = try unpacker.toc(of: dump)
        if let reason = ArchiveUnpacker.unreadable(toc) { return (nil, reason) }
        return (DirectArchive(dump: dump, toc: toc, unpacker: unpacker), nil)
    }

    var properties: DatabaseProperties? { DatabaseProperties.fromArchive(toc.entries) }

    /// The dumped database's name, for messages about what it holds.
    var databaseName: String { toc.header.database ?? dump.name }

    /// The catalog the sanitize rules are checked against.
    func catalog() throws -> TableColumns { try TableColumns.read(fromArchive: toc.entries) }

    var serverVersion: ServerVersion { ServerVersion(dumpedText: toc.header.serverVersion ?? "") }

    /// Writes the data files the filters keep, and the toc.dat naming them, into `directory`;
    /// returns the migration state its tracking tables record (read before any rule rewrites them).
    func unpack(into directory: String, filters: TableFilters) throws -> [MigrationState] {
        let toc = try unpacker.unpack(dump, into: directory, storesRows: { filters.storesRows(of: $0) })
        return try MigrationDetector.detect(inUnpacked: directory, toc: toc)
    }
}

/// The schema of an unpacked dump as `pg_dump --schema-only` writes it: pg_restore's script of
/// its pre-data and post-data entries (the same text, entry for entry).
enum ArchiveSchema {
    static func sql(of directory: String, tools: DumpTools) throws -> String {
        let list = directory + ".list"
        let listing = try tools.listDirectory(directory)
        try PrivateFiles.createFile(list)
        defer { unlink(list) }
        try Data(listing.utf8).write(to: URL(fileURLWithPath: list))
        return try tools.restoreScript(of: directory, sections: [.preData, .postData], listFile: list)
    }
}
