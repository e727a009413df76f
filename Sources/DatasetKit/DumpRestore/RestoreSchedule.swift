/// The order in which the data and post-data entries of a dump are restored in parallel,
/// after its pre-data: the rules of `pg_restore --jobs`, with table data loaded by dpm.
///
/// - An entry waits for the entries it depends on; a post-data entry that depends on a table
///   waits for that table's data (pg_restore's "repointing"), so an index is built as soon
///   as its table is loaded, while other tables still load.
/// - Constraints, rules and triggers lock their tables: they never run beside another entry
///   that uses one of those tables, which could only wait or deadlock.
/// - The biggest work first: table data by size, other entries by the size of the table
///   data they wait for, so that one big table does not start last and finish alone.
/// - Entries pg_restore itself keeps for a last pass (materialized view refreshes, event
///   triggers, privileges, and what depends on them) are left for one final pg_restore run.
public struct RestoreSchedule: Sendable {
    public enum Work: Sendable, Equatable {
        /// Load one table data entry.
        case tableData(Int)
        /// Run these entries with one pg_restore, in this order.
        case entries([Int])
    }

    struct Unit: Sendable {
        let entry: DumpEntry
        /// Dependencies after repointing table → table data.
        let dependencies: Set<Int>
        /// The tables (or their data entries) it locks exclusively.
        let locks: Set<Int>
        let weight: Int64
        var isTableData: Bool { entry.desc == "TABLE DATA" }
    }

    /// Kinds pg_restore restores after everything else.
    static let lastPassKinds: Set<String> = ["ACL", "DEFAULT ACL", "ACL LANGUAGE", "EVENT TRIGGER", "MATERIALIZED VIEW DATA"]
    /// Kinds that take an exclusive lock on the tables they depend on.
    static let lockingKinds: Set<String> = ["CONSTRAINT", "CHECK CONSTRAINT", "FK CONSTRAINT", "RULE", "TRIGGER"]
    /// Entries whose tables hold less data than this are cheap; several of them share one pg_restore.
    static let cheapWeight: Int64 = 16 << 20
    /// At most this many entries share one pg_restore.
    static let batchLimit = 64

    private var units: [Int: Unit] = [:]
    /// Unit ids in listing order, so that equal weights go in the dump's order.
    private var order: [Int] = []
    private var position: [Int: Int] = [:]
    /// For each unit, how many of the units it depends on are not done yet.
    private var waitingFor: [Int: Int] = [:]
    private var dependents: [Int: [Int]] = [:]
    /// Units whose dependencies are done and that have not started, in listing order.
    private var ready: [Int] = []
    private var remaining = 0
    private var running: [[Int]] = []
    /// The entries for the final pg_restore run, in listing order.
    public let lastPass: [Int]

    /// - Parameters:
    ///   - entries: every entry of the dump, with dependencies (`pg_restore --list --verbose`).
    ///   - restorable: the ids of its data and post-data entries.
    ///   - dataSizes: the size of each table data entry's data, by entry id.
    public init(entries: [DumpEntry], restorable: Set<Int>, dataSizes: [Int: Int64]) {
        let byID = Dictionary(entries.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        var dataOfTable: [Int: Int] = [:]
        for entry in entries where entry.desc == "TABLE DATA" && restorable.contains(entry.id) {
            if let table = entry.dependencies.first { dataOfTable[table] = entry.id }
        }
        // The last pass, and everything that depends on it, directly or not.
        var last = Set(entries.filter { restorable.contains($0.id) && Self.lastPassKinds.contains($0.desc) }.map(\.id))
        var grew = true
        while grew {
            grew = false
            for entry in entries where restorable.contains(entry.id) && !last.contains(entry.id) {
                if entry.dependencies.contains(where: last.contains) {
                    last.insert(entry.id)
                    grew = true
                }
            }
        }
        lastPass = entries.filter { last.contains($0.id) }.map(\.id)

        for entry in entries where restorable.contains(entry.id) && !last.contains(entry.id) {
            let isData = entry.desc == "TABLE DATA"
            let dependencies = Set(entry.dependencies.map { isData ? $0 : dataOfTable[$0] ?? $0 })
            let tables = dependencies.filter { id in
                guard let desc = byID[id]?.desc else { return false }
                return desc == "TABLE" || desc == "TABLE DATA"
            }
            let weight = isData ? dataSizes[entry.id] ?? 0
                : dependencies.compactMap { id in byID[id]?.desc == "TABLE DATA" ? dataSizes[id] : nil }.max() ?? 0
            units[entry.id] = Unit(entry: entry, dependencies: dependencies.filter { $0 != entry.id },
                                   locks: Self.lockingKinds.contains(entry.desc) ? tables : [], weight: weight)
            order.append(entry.id)
        }
        for (index, id) in order.enumerated() {
            position[id] = index
            let dependencies = units[id]!.dependencies.filter { units[$0] != nil }
            waitingFor[id] = dependencies.count
            for dependency in dependencies { dependents[dependency, default: []].append(id) }
            if dependencies.isEmpty { ready.append(id) }
        }
        remaining = order.count
    }

    public var isFinished: Bool { remaining == 0 }
    /// True when work is left but none of it can ever start: a dependency cycle.
    public var isStuck: Bool { remaining > 0 && running.isEmpty && ready.isEmpty }

    /// The next work for a free worker, or nil when nothing can start now (wait for running
    /// work to finish). `workers` is the number of workers sharing the schedule.
    public mutating func next(workers: Int) -> Work? {
        let ready = self.ready.filter { !conflictsWithRunning($0) }
        // max(by:) keeps the first of equal elements only when reversed: pick explicitly.
        var first: Int?
        for id in ready where first == nil || units[id]!.weight > units[first!]!.weight { first = id }
        guard let first else { return nil }
        if units[first]!.isTableData {
            start([first])
            return .tableData(first)
        }
        var batch = [first]
        if units[first]!.weight < Self.cheapWeight {
            let cheap = ready.filter { $0 != first && !units[$0]!.isTableData && units[$0]!.weight < Self.cheapWeight }
            // Share the cheap entries out among the workers rather than give all to one.
            let share = min(Self.batchLimit, max(1, (cheap.count + 1 + workers - 1) / workers)) - 1
            batch += cheap.prefix(share)
        }
        start(batch)
        return .entries(batch)
    }

    /// Records that `work` (handed out by `next`) is complete.
    public mutating func finished(_ work: Work) {
        let ids = Self.ids(work)
        running.removeAll { $0 == ids }
        remaining -= ids.count
        var released: [Int] = []
        for id in ids {
            for dependent in dependents[id] ?? [] {
                waitingFor[dependent]! -= 1
                if waitingFor[dependent] == 0 { released.append(dependent) }
            }
        }
        guard !released.isEmpty else { return }
        ready = (ready + released).sorted { position[$0]! < position[$1]! }
    }

    private mutating func start(_ ids: [Int]) {
        let started = Set(ids)
        ready.removeAll { started.contains($0) }
        running.append(ids)
    }

    private static func ids(_ work: Work) -> [Int] {
        switch work {
        case .tableData(let id): return [id]
        case .entries(let ids): return ids
        }
    }

    private func conflictsWithRunning(_ id: Int) -> Bool {
        let unit = units[id]!
        for batch in running {
            for other in batch.compactMap({ units[$0] }) {
                if !unit.locks.isDisjoint(with: other.dependencies) || !other.locks.isDisjoint(with: unit.dependencies) {
                    return true
                }
            }
        }
        return false
    }
}
