import Foundation

/// Applies a profile's rules to the data files of a pg_dump directory before any is hashed or
/// stored, then proves the result clean: every field of every file is compared with the
/// original values the rules replaced. A hit stops the upload before anything is stored.
struct SanitizedDump {
    let plan: SanitizePlan
    let leakCheckLimit: Int
    let jobs: Int

    /// What the check did.
    struct Checked {
        var leakCheck: LeakCheckRecord
    }

    /// `tables`: data file name → table, for the files of `directory` that hold table rows.
    func sanitizeAndCheck(_ directory: String, tables: [String: QualifiedTable], names: [String],
                          progress: ProgressMeter) throws -> Checked {
        let originals = Locked(LeakDigests(limit: leakCheckLimit))
        // Per table: the columns rules wrote whole, and those only checked for email addresses.
        let ruled = Locked([QualifiedTable: (whole: Set<String>, json: Set<String>)]())
        // Values a rule that must change every value stored as they were.
        let unchangedHits = Locked([String: LeakHit]())
        let sizes = Self.sizes(of: names, in: directory)
        // Largest first, so that the last file a worker takes is a small one.
        let bySize = { (a: String, b: String) in (sizes[a] ?? 0, b) > (sizes[b] ?? 0, a) }
        let sanitizing = try tables.compactMap { name, table in try plan.sanitizer(for: table).map { (name, $0) } }
            .sorted { bySize($0.0, $1.0) }
        // Each column of a sanitized table gets a number, so that a hit can name whose values leaked.
        var origins: [String] = []
        var firstOrigin: [String: Int] = [:]
        for (name, sanitizer) in sanitizing {
            firstOrigin[name] = origins.count
            origins += sanitizer.columns.map { "\(plan.ruleOwner(of: sanitizer.table)).\($0)" }
        }
        let originStarts = firstOrigin
        guard origins.count <= Int(UInt16.max) else {
            throw DPMError.invalidInput("The sanitize rules apply to tables with \(origins.count) columns in all; the leak check tells at most \(UInt16.max) apart.")
        }
        progress.begin("sanitizing \(sanitizing.count) table\(sanitizing.count == 1 ? "" : "s")", totalItems: sanitizing.count)
        try concurrentForEach(sanitizing.map(\.0), width: jobs) { name in
            let sanitizer = try plan.sanitizer(for: tables[name]!)!
            let first = originStarts[name]!
            let values = OriginalValues(into: originals, origins: (0..<sanitizer.columns.count).map { UInt16(first + $0) })
            sanitizer.originals = values
            try Self.rewrite("\(directory)/\(name)", with: sanitizer)
            try values.flush()
            ruled.withValue { $0[sanitizer.table] = (sanitizer.ruledColumns, sanitizer.jsonColumns) }
            unchangedHits.withValue { found in
                for (field, count) in sanitizer.unchanged {
                    found["\(plan.ruleOwner(of: sanitizer.table)).\(sanitizer.columns[field])", default: LeakHit()]
                        .add(LeakHit(count: count, origins: [UInt16(first + field)]))
                }
            }
            progress.advance(items: 1)
        }

        let digests = originals.current
        let tally = LeakTally(unchangedHits.current)
        let ruledColumns = ruled.current
        let checkedNames = names.filter { tables[$0] != nil }
        progress.begin("checking for leaks", totalItems: checkedNames.count)
        try concurrentForEach(checkedNames.sorted(by: bySize), width: jobs) { name in
            let table = tables[name]!
            let checker = plan.leakChecker(for: table, ruled: ruledColumns[table]?.whole ?? [], json: ruledColumns[table]?.json ?? [],
                                           originals: digests)
            try FileReader(path: "\(directory)/\(name)").pump(into: checker)
            try checker.finish()
            tally.add(checker)
            progress.advance(items: 1)
        }
        try Self.refuseLeaks(tally.hits, origins: origins)
        return Checked(leakCheck: LeakCheckRecord(originals: digests.count, fieldsChecked: tally.fieldsChecked))
    }

    private static func sizes(of names: [String], in directory: String) -> [String: Int64] {
        Dictionary(uniqueKeysWithValues: names.map { name in
            (name, FileSize.of("\(directory)/\(name)"))
        })
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

    static func refuseLeaks(_ hits: [String: LeakHit], origins: [String]) throws {
        guard !hits.isEmpty else { return }
        let list = hits.keys.sorted().map { column in
            let hit = hits[column]!
            let sources = hit.origins.sorted().map { Int($0) < origins.count ? origins[Int($0)] : "?" }.joined(separator: ", ")
            return "\(column) (\(hit.count) field\(hit.count == 1 ? "" : "s") holding values of \(sources))"
        }.joined(separator: "; ")
        throw DPMError.conflict(
            "The leak check found original values of sanitized columns, or their email addresses, in \(list); nothing was stored: give \(hits.count == 1 ? "that column" : "those columns") a rule (text or null for free text), purge them with a sanitize script, or, for values that are not personal (common words in a product name), list the column in sanitize.leak_check_skip."
        )
    }
}

extension SanitizePlan {
    /// The leak check of one table's stored data: every field no rule wrote (`ruled`) compared
    /// with `originals`; `json:` columns and `leak_check_skip` ones only for email addresses.
    func leakChecker(for table: QualifiedTable, ruled: Set<String>, json: Set<String>, originals: LeakDigests) -> LeakCheckingWriter {
        LeakCheckingWriter(table: ruleOwner(of: table), columns: catalog.columns[table]?.map(\.name) ?? [], ruled: ruled,
                           skipped: leakCheckSkip(for: table).union(json), originals: originals)
    }
}

/// The hits and checked fields of the tables' leak checks, added up from the threads that ran them.
final class LeakTally: @unchecked Sendable {
    private let state: Locked<(hits: [String: LeakHit], fields: Int64)>

    init(_ hits: [String: LeakHit] = [:]) { state = Locked((hits, 0)) }

    func add(_ checker: LeakCheckingWriter) {
        state.withValue { tally in
            for (column, hit) in checker.hitsByColumn { tally.hits[column, default: LeakHit()].add(hit) }
            tally.fields += checker.fieldsChecked
        }
    }

    var hits: [String: LeakHit] { state.current.hits }
    var fieldsChecked: Int64 { state.current.fields }
}
