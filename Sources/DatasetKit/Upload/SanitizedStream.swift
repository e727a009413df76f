import Foundation

/// The rules and the leak check of an upload whose scratch folder has no room for a copy of the
/// data (see `Upload.capture`): three reads of one exported snapshot, each table's data held in
/// memory a piece at a time. The first reads only the tables the rules change and keeps nothing
/// but the original values they replace (as digests); the second sanitizes every table and
/// compares every field with all of them, storing nothing; only when no field hit does the third,
/// the upload itself, sanitize the same data again (the rules give the same outputs for the same
/// inputs) into the store. A hit stops the upload before anything is stored, as with a scratch copy.
final class SanitizedStream: StreamedDataPass, @unchecked Sendable {
    private let plan: SanitizePlan
    private let server: DumpTools
    private let database: String
    private let snapshot: String
    /// The tables' sizes on disk, to share them out among `jobs` pg_dump runs of each read.
    private let sizes: [QualifiedTable: Int64]
    private let jobs: Int
    private let progress: ProgressMeter
    private let originals: Locked<LeakDigests>
    /// The name of each origin number: the column whose original values it stands for (set
    /// before the reads, which only read it).
    private var origins: [String] = []
    /// Values a rule that must change every value left as they were, found by the first read.
    private let unchangedHits = Locked([String: LeakHit]())
    /// What the second read found.
    private let tally = LeakTally()

    init(plan: SanitizePlan, leakCheckLimit: Int, server: DumpTools, database: String, snapshot: String,
         sizes: [QualifiedTable: Int64], jobs: Int, progress: ProgressMeter) {
        self.plan = plan
        self.sizes = sizes
        self.jobs = max(1, jobs)
        self.server = server
        self.database = database
        self.snapshot = snapshot
        self.progress = progress
        originals = Locked(LeakDigests(limit: leakCheckLimit))
    }

    /// What the check did, once `prepare` has run.
    var record: LeakCheckRecord {
        LeakCheckRecord(originals: originals.current.count, fieldsChecked: tally.fieldsChecked)
    }

    private static func table(of entry: ArchiveEntry) -> QualifiedTable {
        QualifiedTable(schema: entry.namespace ?? "", table: entry.tag)
    }

    /// The first two reads, before anything is stored.
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
        let starts = expected
        let read = try readData(of: Array(expected.keys)) { [self] entry, plain in
            let table = Self.table(of: entry)
            guard let first = starts[table], let sanitizer = try plan.sanitizer(for: table) else { return }
            let values = OriginalValues(into: originals, origins: (0..<sanitizer.columns.count).map { UInt16(first + $0) })
            sanitizer.originals = values
            try sanitizer.sanitize(from: plain, to: NullWriter())
            try values.flush()
            unchangedHits.withValue { hits in
                for (field, count) in sanitizer.unchanged {
                    hits["\(plan.ruleOwner(of: table)).\(sanitizer.columns[field])", default: LeakHit()]
                        .add(LeakHit(count: count, origins: [UInt16(first + field)]))
                }
            }
        }
        // A table left out of this read would leave its originals unlooked-for: never store then.
        if let missed = Set(expected.keys).subtracting(read).sorted().first {
            throw DPMError.internal("pg_dump did not send the data of \(missed) when asked for the original values of its sanitized columns; nothing was stored.")
        }
        // Rules that left values as they were are known now.
        try SanitizedDump.refuseLeaks(unchangedHits.current, origins: origins)
    }

    /// The second read: every table the upload stores, sanitized and compared with the originals.
    private func check(_ entries: [ArchiveEntry]) throws {
        let digests = originals.current
        let known = entries.map(Self.table(of:)).filter { plan.catalog.columns[$0] != nil }
        progress.begin("checking \(known.count) table\(known.count == 1 ? "" : "s") for leaks", totalItems: known.count)
        let checked = try readData(of: known) { [self] entry, plain in
            let table = Self.table(of: entry)
            let sanitizer = try plan.sanitizer(for: table)
            let checker = plan.leakChecker(for: table, ruled: sanitizer?.ruledColumns ?? [], json: sanitizer?.jsonColumns ?? [],
                                           originals: digests)
            if let sanitizer {
                try sanitizer.sanitize(from: plain, to: checker)
            } else {
                try plain.pump(into: checker)
                try checker.finish()
            }
            tally.add(checker)
            progress.advance(items: 1)
        }
        try SanitizedDump.refuseLeaks(tally.hits, origins: origins)
        if let missed = Set(known).subtracting(checked).sorted().first {
            throw DPMError.internal("pg_dump did not send the data of \(missed) when asked for it to be checked for leaks; nothing was stored.")
        }
    }

    /// Reads the data of `tables` with up to `jobs` pg_dump runs at once in the snapshot, each
    /// given a share of the tables (the biggest first, each to the run with the least so far),
    /// handing every table's data to `body` on that run's thread; returns the tables read.
    private func readData(of tables: [QualifiedTable], _ body: @escaping @Sendable (ArchiveEntry, ByteReader) throws -> Void) throws -> Set<QualifiedTable> {
        var shares = Array(repeating: (bytes: Int64(0), tables: [QualifiedTable]()), count: min(jobs, tables.count))
        for table in tables.sorted(by: { (sizes[$0] ?? 0, $1) > (sizes[$1] ?? 0, $0) }) {
            let least = shares.indices.min { shares[$0].bytes < shares[$1].bytes }!
            shares[least].bytes += sizes[table] ?? 0
            shares[least].tables.append(table)
        }
        let read = Locked(Set<QualifiedTable>())
        try concurrentForEach(shares.map(\.tables), width: shares.count) { [self] share in
            let wanted = Set(share)
            let filters = TableFilters(include: share.map(SanitizePlan.literalPattern(of:)))
            try server.streamArchive(of: database, filters: filters, dataOnly: true, snapshot: snapshot) { source in
                let reader = ArchiveReader(source: source)
                let toc = try ArchiveTOC.read(reader)
                let data = toc.entries.filter { $0.desc == "TABLE DATA" && wanted.contains(Self.table(of: $0)) }
                try ArchiveDataBlocks.forEach(in: reader, toc: toc, wanted: Set(data.map(\.dumpId)), decompression: nil) { entry, plain in
                    try body(entry, plain)
                    read.withValue { _ = $0.insert(Self.table(of: entry)) }
                }
            }
        }
        return read.current
    }

    /// The third read: the data the check passed, sanitized again on its way to the store.
    func writer(for entry: ArchiveEntry, into sink: ByteWriter) throws -> ByteWriter {
        let table = Self.table(of: entry)
        guard let sanitizer = try plan.sanitizer(for: table) else { return sink }
        return SanitizingWriter(sanitizer, forwardingTo: sink)
    }
}
