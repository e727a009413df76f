import Foundation

/// The rules and the leak check of an upload whose scratch folder has no room for a copy of
/// the data (see `Upload.capture`): three
/// reads of one exported snapshot, each table's data held in memory a piece at a time. The first
/// reads only the tables the rules change and keeps nothing but the original values they
/// replace (as digests); the second sanitizes every table and compares every field with all of
/// them, storing nothing; only when no field hit does the third, the upload itself, sanitize the
/// same data again (the rules give the same outputs for the same inputs) into the store. A hit
/// stops the upload before anything is stored, as with a scratch copy.
final class SanitizedStream: StreamedDataPass {
    private let plan: SanitizePlan
    private let server: DumpTools
    private let database: String
    /// The upload's table filters, the truncated tables' data left out.
    private let filters: TableFilters
    private let snapshot: String
    private let progress: ProgressMeter
    private let originals: Locked<LeakDigests>
    /// The name of each origin number: the column whose original values it stands for.
    private var origins: [String] = []
    private var fieldsChecked: Int64 = 0
    /// Values a rule that must change every value left as they were, found by the first read.
    private var unchangedHits: [String: LeakHit] = [:]

    init(plan: SanitizePlan, leakCheckLimit: Int, server: DumpTools, database: String, filters: TableFilters, snapshot: String,
         progress: ProgressMeter) {
        self.plan = plan
        self.filters = filters
        self.server = server
        self.database = database
        self.snapshot = snapshot
        self.progress = progress
        originals = Locked(LeakDigests(limit: leakCheckLimit))
    }

    /// What the check did, once the upload's read has finished.
    var record: LeakCheckRecord {
        LeakCheckRecord(originals: originals.current.count, fieldsChecked: fieldsChecked)
    }

    private static func table(of entry: ArchiveEntry) -> QualifiedTable {
        QualifiedTable(schema: entry.namespace ?? "", table: entry.tag)
    }

    /// The first two reads, before anything is stored. `filters` are the upload's.
    func prepare(_ entries: [ArchiveEntry]) throws {
        try collectOriginals(entries)
        try check(entries)
        progress.begin("dumping \(database) with pg_dump, sanitizing and storing its data")
    }

    /// The first read: the data of the tables whose rules change it, sanitized into nothing.
    private func collectOriginals(_ entries: [ArchiveEntry]) throws {
        var expected: [QualifiedTable: Int] = [:]
        for entry in entries {
            let table = Self.table(of: entry)
            guard let sanitizer = try plan.sanitizer(for: table) else { continue }
            expected[table] = origins.count
            origins += sanitizer.columns.map { "\(plan.ruleOwner(of: table)).\($0)" }
        }
        guard origins.count <= Int(UInt16.max) else {
            throw DPMError.invalidInput("The sanitize rules apply to tables with \(origins.count) columns in all; the leak check tells at most \(UInt16.max) apart.")
        }
        guard !expected.isEmpty else { return }
        progress.begin("reading the original values of \(expected.count) sanitized table\(expected.count == 1 ? "" : "s")")
        // Each name quoted, so that pg_dump takes it literally.
        let filters = TableFilters(include: expected.keys.sorted().map { "\(Self.quoted($0.schema)).\(Self.quoted($0.table))" })
        var read = Set<QualifiedTable>()
        try server.streamArchive(of: database, filters: filters, dataOnly: true, snapshot: snapshot) { source in
            let reader = ArchiveReader(source: source)
            let toc = try ArchiveTOC.read(reader)
            let data = toc.entries.filter { $0.desc == "TABLE DATA" && expected[Self.table(of: $0)] != nil }
            try ArchiveDataBlocks.forEach(in: reader, toc: toc, wanted: Set(data.map(\.dumpId)), decompression: nil) { entry, plain in
                let table = Self.table(of: entry)
                guard let first = expected[table], let sanitizer = try plan.sanitizer(for: table) else { return }
                let values = OriginalValues(into: originals, origins: (0..<sanitizer.columns.count).map { UInt16(first + $0) })
                sanitizer.originals = values
                try sanitizer.sanitize(from: plain, to: NullWriter())
                try values.flush()
                for (field, count) in sanitizer.unchanged {
                    unchangedHits["\(plan.ruleOwner(of: table)).\(sanitizer.columns[field])", default: LeakHit()]
                        .add(LeakHit(count: count, origins: [UInt16(first + field)]))
                }
                read.insert(table)
            }
        }
        // A table left out of this read would leave its originals unlooked-for: never store then.
        if let missed = Set(expected.keys).subtracting(read).sorted().first {
            throw DPMError.internal("pg_dump did not send the data of \(missed) when asked for the original values of its sanitized columns; nothing was stored.")
        }
        // Rules that left values as they were are known now.
        try SanitizedDump.refuseLeaks(unchangedHits, origins: origins)
    }

    /// The second read: every table the upload stores, sanitized and compared with the originals.
    private func check(_ entries: [ArchiveEntry]) throws {
        progress.begin("checking \(entries.count) table\(entries.count == 1 ? "" : "s") for leaks", totalItems: entries.count)
        let expected = Set(entries.map(Self.table(of:)))
        let digests = originals.current
        var hits = unchangedHits
        var checked = Set<QualifiedTable>()
        try server.streamArchive(of: database, filters: filters, dataOnly: true, snapshot: snapshot) { source in
            let reader = ArchiveReader(source: source)
            let toc = try ArchiveTOC.read(reader)
            let data = toc.entries.filter { $0.desc == "TABLE DATA" && expected.contains(Self.table(of: $0)) }
            try ArchiveDataBlocks.forEach(in: reader, toc: toc, wanted: Set(data.map(\.dumpId)), decompression: nil) { entry, plain in
                let table = Self.table(of: entry)
                guard let columns = plan.catalog.columns[table]?.map(\.name) else { return }
                let sanitizer = try plan.sanitizer(for: table)
                let checker = LeakCheckingWriter(table: plan.ruleOwner(of: table), columns: columns, ruled: sanitizer?.ruledColumns ?? [],
                                                 skipped: plan.leakCheckSkip(for: table).union(sanitizer?.jsonColumns ?? []), originals: digests)
                if let sanitizer {
                    try sanitizer.sanitize(from: plain, to: checker)
                } else {
                    try plain.pump(into: checker)
                    try checker.finish()
                }
                for (column, hit) in checker.hitsByColumn { hits[column, default: LeakHit()].add(hit) }
                fieldsChecked += checker.fieldsChecked
                checked.insert(table)
                progress.advance(items: 1)
            }
        }
        try SanitizedDump.refuseLeaks(hits, origins: origins)
        let known = expected.filter { plan.catalog.columns[$0] != nil }
        if let missed = known.subtracting(checked).sorted().first {
            throw DPMError.internal("pg_dump did not send the data of \(missed) when asked for it to be checked for leaks; nothing was stored.")
        }
    }

    /// The third read: the data the check passed, sanitized again on its way to the store.
    func writer(for entry: ArchiveEntry, into sink: ByteWriter) throws -> ByteWriter {
        let table = Self.table(of: entry)
        guard let sanitizer = try plan.sanitizer(for: table) else { return sink }
        return SanitizingWriter(sanitizer, forwardingTo: sink)
    }

    func finish() throws {}

    private static func quoted(_ name: String) -> String { "\"\(name.replacingOccurrences(of: "\"", with: "\"\""))\"" }
}
