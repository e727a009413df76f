import Foundation

/// Applies a profile's rules to the data files of a pg_dump directory before any is hashed or
/// stored, then proves the result clean: every field of every file is compared with the
/// original values the rules replaced. A hit stops the upload before anything is stored.
struct SanitizedDump {
    let plan: SanitizePlan
    let leakCheckLimit: Int
    let jobs: Int

    /// Each data file's content address, taken while checking it; and what the check did.
    struct Checked {
        var digests: [String: ObjectTransfer.FileDigest]
        var leakCheck: LeakCheckRecord
    }

    /// `tables`: data file name → table, for the files of `directory` that hold table rows.
    func sanitizeAndCheck(_ directory: String, tables: [String: QualifiedTable], names: [String],
                          transfer: ObjectTransfer, progress: ProgressMeter) throws -> Checked {
        let originals = Locked(LeakDigests(limit: leakCheckLimit))
        let ruled = Locked([QualifiedTable: Set<String>]())
        let sanitizing = try tables.compactMap { name, table in try plan.sanitizer(for: table).map { (name, $0) } }
            .sorted { $0.0 < $1.0 }
        progress.begin("sanitizing \(sanitizing.count) table\(sanitizing.count == 1 ? "" : "s")", totalItems: sanitizing.count)
        try concurrentForEach(sanitizing.map(\.0), width: jobs) { name in
            let sanitizer = try plan.sanitizer(for: tables[name]!)!
            let values = OriginalValues(into: originals)
            sanitizer.originals = values
            try Self.rewrite("\(directory)/\(name)", with: sanitizer)
            try values.flush()
            ruled.withValue { $0[sanitizer.table] = sanitizer.ruledColumns }
            progress.advance(items: 1)
        }

        let digests = originals.current
        let reports = Locked([String: ObjectTransfer.FileDigest]())
        let hits = Locked([String: Int]())
        let checked = Locked(Int64(0))
        let ruledColumns = ruled.current
        progress.begin("checking for leaks", totalItems: names.count)
        try concurrentForEach(names, width: jobs) { name in
            guard let table = tables[name] else {
                let digest = try transfer.digest(ofFileAt: "\(directory)/\(name)")
                reports.withValue { $0[name] = digest }
                return
            }
            let checker = LeakCheckingWriter(table: table, columns: plan.catalog.columns[table]?.map(\.name) ?? [],
                                             ruled: ruledColumns[table] ?? [], originals: digests)
            let digest = try transfer.digest(ofFileAt: "\(directory)/\(name)", countingLines: true, inspecting: checker)
            reports.withValue { $0[name] = digest }
            hits.withValue { found in for (column, count) in checker.hitsByColumn { found[column, default: 0] += count } }
            checked.withValue { $0 += checker.fieldsChecked }
            progress.advance(items: 1)
        }
        try Self.refuseLeaks(hits.current)
        return Checked(digests: reports.current, leakCheck: LeakCheckRecord(originals: digests.count, fieldsChecked: checked.current))
    }

    /// Replaces a data file by its sanitized form; the original's bytes go with the rename.
    private static func rewrite(_ path: String, with sanitizer: TableSanitizer) throws {
        let sanitized = "\(path).sanitized"
        do {
            try sanitizer.sanitize(from: try FileReader(path: path), to: try FileWriter(path: sanitized, exclusive: true, durable: false))
            try AtomicFile.rename(sanitized, to: path)
        } catch {
            unlink(sanitized)
            throw error
        }
    }

    private static func refuseLeaks(_ hits: [String: Int]) throws {
        guard !hits.isEmpty else { return }
        let list = hits.keys.sorted().map { "\($0) (\(hits[$0]!) field\(hits[$0]! == 1 ? "" : "s"))" }.joined(separator: ", ")
        throw DPMError.conflict(
            "The leak check found original values of sanitized columns, or their email addresses, in \(list); nothing was stored: give \(hits.count == 1 ? "that column" : "those columns") a rule (text or null for free text) or purge them with a sanitize script."
        )
    }
}
