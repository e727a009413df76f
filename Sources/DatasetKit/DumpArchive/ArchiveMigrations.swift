import Foundation

extension MigrationDetector {
    /// The migration state recorded in an unpacked dump's data files: the known tracking
    /// tables of schema public (where a database's default search path finds them).
    static func detect(inUnpacked directory: String, toc: ArchiveTOC) throws -> [MigrationState] {
        let tables = Dictionary(toc.entries.filter { $0.desc == "TABLE DATA" && $0.namespace == "public" }.map { ($0.tag, $0) },
                                uniquingKeysWith: { first, _ in first })
        return try knownTables.compactMap { table in
            guard let entry = tables[table], let header = entry.copyStmt.flatMap({ CopyHeader(parsing: $0) }),
                  let layout = layout(table: table, columns: Set(header.columns)) else { return nil }
            let file = FilePath.join(directory, toc.dataFiles[entry.dumpId] ?? "\(entry.dumpId).dat")
            // A table whose rows were left out counts as empty, as it restores.
            let rows = FileManager.default.fileExists(atPath: file) ? try Self.rows(of: file, columns: header.columns, reading: layout.columns) : []
            return MigrationState(table: table, versions: layout.versions(rows), tool: layout.tool, latestOnly: layout.latestOnly ? true : nil)
        }
    }

    /// The values of `wanted` in each COPY line of `file` (a tracking table: small).
    private static func rows(of file: String, columns: [String], reading wanted: [String]) throws -> [[String?]] {
        let indices = wanted.map { columns.firstIndex(of: $0) }
        let data = try FileReader(path: file).readAll(limit: 64 << 20)
        var rows: [[String?]] = []
        for line in data.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: true) {
            if line.elementsEqual(CopyText.endOfData) { break }
            let fields = CopyText.fields(of: Array(line))
            rows.append(indices.map { index in
                guard let index, index < fields.count, let value = CopyText.decode(fields[index]) else { return nil }
                return String(decoding: value, as: UTF8.self)
            })
        }
        return rows
    }
}
