import Foundation

/// What a killed restore can leave, and its repair. Older versions of dpm swapped a restore in by two
/// renames: a kill between them left `<db>` missing and `<db>__dpm_old_<hex>` holding its only
/// copy. Such a database is renamed back, never dropped.
public struct InterruptedRestores: Sendable {
    let server: DatabaseCatalog
    let names: LocalNames
    let note: @Sendable (String) -> Void

    public init(server: DatabaseCatalog, stateDirectory: String, note: @escaping @Sendable (String) -> Void) throws {
        try DatabaseNames.validate(server.defaultDatabase)
        self.server = server
        names = LocalNames(working: server.defaultDatabase, stateDirectory: stateDirectory)
        self.note = note
    }

    /// A target that does not exist, and the retired databases that may hold its only copy.
    public struct HalfDoneSwap: Sendable, Equatable {
        public var target: String
        public var candidates: [String]
    }

    /// This project's half-done swaps: unlabelled `<working>__dpm_old_<hex>` beside a missing
    /// working database, and retired databases whose label names a missing target.
    public func halfDoneSwaps() throws -> [HalfDoneSwap] {
        let entries = try server.catalog(named: names.working, orMatching: names.buildingPattern("old"))
        let present = Set(entries.map(\.name))
        var byTarget: [String: [String]] = [:]
        for entry in entries where entry.name != names.working {
            if let label = DatabaseLabel.parse(entry.comment) {
                guard label.working == names.working, label.role == .retired, let target = label.target else { continue }
                byTarget[target, default: []].append(entry.name)
            } else if entry.name.range(of: names.buildingPattern("old"), options: .regularExpression) != nil {
                byTarget[names.working, default: []].append(entry.name)
            }
        }
        var result: [HalfDoneSwap] = []
        for (target, candidates) in byTarget.sorted(by: { $0.key < $1.key }) {
            let exists = try target == names.working ? present.contains(target) : server.databaseExists(target)
            if !exists { result.append(HalfDoneSwap(target: target, candidates: candidates.sorted())) }
        }
        return result
    }

    /// Whether a killed command left something the repair would change.
    public func needsRepair() throws -> Bool {
        if FileManager.default.fileExists(atPath: RestoreJournal.path(names.stateDirectory)) { return true }
        return try !halfDoneSwaps().isEmpty
    }

    /// Repairs under the project lock, which the caller holds: finishes or undoes a journaled
    /// restore, and renames the only copy of a missing target back (when there is exactly one).
    func repair() throws {
        try RestoreSwap(server: server, names: names, note: note, checkpoint: { _ in }).repair()
        for swap in try halfDoneSwaps() {
            guard swap.candidates.count == 1, let only = swap.candidates.first else { continue }
            try server.applyAtomically([.rename(only, to: swap.target), .comment(on: swap.target, nil)], afterEach: { _ in })
            note("Repaired an interrupted restore: \(swap.target) was missing and its content was in \(only); it has its name back.")
        }
    }

    /// Repairs what a killed command left, if anything, taking the project lock for it. A
    /// command that holds the lock now is still running: its work is its own, so nothing is
    /// done (the next command repairs what it leaves).
    public func repairIfNeeded() throws {
        guard try needsRepair() else { return }
        guard let lock = try? ProjectLock.acquire(names.lockFile, timeout: 0.2) else { return }
        defer { withExtendedLifetime(lock) {} }
        try repair()
    }
}
