import Foundation

/// What a snapshot's dump says of its tables, read from its table of contents (the toc.dat
/// data artifact) without a server: each table's columns as its data has them, the data
/// file and COPY statement of each table with rows, the sequences' positions and the
/// client encoding of the data.
struct SnapshotTables {
    /// One table's rows in the snapshot: pg_dump's COPY statement and the object holding its data.
    struct TableData: Equatable {
        var copyStatement: String
        var artifact: Artifact
    }

    /// A sequence as `SEQUENCE SET` leaves it: `setval(sequence, value, isCalled)`.
    struct SequencePosition: Equatable {
        var value: String
        var isCalled: Bool
    }

    /// Every table's columns (partitioned tables included), ancestors and partition keys.
    let catalog: TableColumns
    let data: [QualifiedTable: TableData]
    let sequences: [QualifiedTable: SequencePosition]
    /// The `client_encoding` pg_dump wrote the data in; nil when the dump does not say.
    let encoding: String?

    /// The tables the snapshot defines, in order.
    var defined: [QualifiedTable] { catalog.columns.keys.sorted() }

    /// Reads the snapshot's toc.dat (verified through the transfer, as every object is).
    static func read(_ snapshot: Snapshot, transfer: ObjectTransfer) throws -> SnapshotTables {
        guard let tocArtifact = snapshot.data.first(where: { $0.path == "toc.dat" }) else {
            throw DPMError.corrupt("Snapshot \(snapshot.id) has no table of contents (toc.dat) in its dump; its tables cannot be restored.")
        }
        let bytes = try transfer.fetchData(tocArtifact, what: "toc.dat")
        let toc: ArchiveTOC
        do {
            toc = try ArchiveTOC.read(ArchiveReader(source: DataReader(bytes)))
        } catch let error as DPMError {
            throw error.rephrased("The table of contents of snapshot \(snapshot.id) cannot be read: \(error.message)")
        }
        return try SnapshotTables(entries: toc.entries, dataFiles: toc.dataFiles, artifacts: snapshot.data, snapshotID: snapshot.id)
    }

    init(entries: [ArchiveEntry], dataFiles: [Int: String], artifacts: [Artifact], snapshotID: String) throws {
        // Only what the columns need: unique keys and foreign keys are the target's business.
        let kinds: Set<String> = ["TABLE", "TABLE DATA", "DOMAIN", "TYPE", "TABLE ATTACH", "MATERIALIZED VIEW"]
        catalog = try TableColumns.read(fromArchive: entries.filter { kinds.contains($0.desc) })
        let byPath = Dictionary(artifacts.map { ($0.path, $0) }, uniquingKeysWith: { first, _ in first })
        var data: [QualifiedTable: TableData] = [:]
        var sequences: [QualifiedTable: SequencePosition] = [:]
        var encoding: String?
        for entry in entries {
            switch entry.desc {
            case "TABLE DATA":
                guard let schema = entry.namespace, let copy = entry.copyStmt, !copy.allSatisfy(\.isWhitespace) else { continue }
                let table = QualifiedTable(schema: schema, table: entry.tag)
                // An extension's configuration table: CREATE EXTENSION makes it, not the dump.
                guard catalog.columns[table] != nil else { continue }
                let file = dataFiles[entry.dumpId] ?? "\(entry.dumpId).dat"
                guard let artifact = byPath[file] else {
                    throw DPMError.corrupt("Snapshot \(snapshotID) lacks \(file), the data of \(table) its dump lists; its tables cannot be restored.")
                }
                data[table] = TableData(copyStatement: copy.trimmingCharacters(in: .whitespacesAndNewlines), artifact: artifact)
            case "SEQUENCE SET":
                guard let schema = entry.namespace, let position = Self.position(entry.defn) else { continue }
                sequences[QualifiedTable(schema: schema, table: entry.tag)] = position
            case "ENCODING":
                encoding = Self.encoding(entry.defn)
            default:
                continue
            }
        }
        self.data = data
        self.sequences = sequences
        self.encoding = encoding
    }

    /// The position of `SELECT pg_catalog.setval('public.orders_id_seq', 42, true);`, pg_dump's
    /// SEQUENCE SET; nil for anything else.
    static func position(_ defn: String) -> SequencePosition? {
        let pattern = #"^SELECT pg_catalog\.setval\('(?:[^']|'')*', (-?[0-9]+), (true|false)\);\s*$"#
        guard let regex = try? NSRegularExpression(pattern: pattern),
              let match = regex.firstMatch(in: defn, range: NSRange(defn.startIndex..., in: defn)),
              let value = Range(match.range(at: 1), in: defn), let called = Range(match.range(at: 2), in: defn) else { return nil }
        return SequencePosition(value: String(defn[value]), isCalled: defn[called] == "true")
    }

    /// The encoding of `SET client_encoding = 'UTF8';`, when it is a plain encoding name.
    static func encoding(_ defn: String) -> String? {
        let pattern = #"^SET client_encoding = '([A-Za-z0-9_]+)';\s*$"#
        guard let regex = try? NSRegularExpression(pattern: pattern),
              let match = regex.firstMatch(in: defn, range: NSRange(defn.startIndex..., in: defn)),
              let name = Range(match.range(at: 1), in: defn) else { return nil }
        return String(defn[name])
    }
}
