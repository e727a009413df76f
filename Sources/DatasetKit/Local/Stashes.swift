import Foundation

/// One stash as `stash list` shows it.
public struct StashInfo: Codable, Sendable {
    public var id: String
    public var database: String
    public var profile: String?
    public var snapshot: String?
    public var stashedAt: String
    public var sizeBytes: Int64?
    public var media: String?
    /// It held nothing but an unchanged template copy, so no database is kept for it:
    /// `undo` rebuilds it from the template.
    public var recycled: Bool?
}

/// `dpm stash list|drop|prune`: former working databases kept for `undo`. Only these
/// commands ever drop a stash.
public struct Stashes {
    let local: LocalDatabases

    public init(local: LocalDatabases) {
        self.local = local
    }

    public static let defaultKeep = 3

    /// Newest first.
    public func list() throws -> [StashInfo] { list(try local.catalog()) }

    func list(_ catalog: LocalCatalog) -> [StashInfo] { entries(catalog).map { $0.info(self, size: true) } }

    /// Stashes and recycled stashes, newest first.
    private enum Entry {
        case database(LocalCatalog.Item)
        case recycled(LocalState.RecycledStash)

        var order: (String, String) {
            switch self {
            case .database(let item): (item.label.since, item.name)
            case .recycled(let record): (record.stashedAt, record.stash)
            }
        }

        func info(_ stashes: Stashes, size: Bool) -> StashInfo {
            switch self {
            case .database(let item): return stashes.info(item, size: size)
            case .recycled(let record):
                return StashInfo(id: LocalNames.stashID(record.stash), database: record.stash, profile: record.profile,
                                 snapshot: record.snapshot, stashedAt: record.stashedAt, sizeBytes: size ? 0 : nil,
                                 media: nil, recycled: true)
            }
        }
    }

    private func entries(_ catalog: LocalCatalog) -> [Entry] {
        let records = (LocalState.load(local.names).recycled ?? []).filter { $0.pending == nil && $0.consumedBy == nil }
        return (catalog.stashes.map(Entry.database) + records.map(Entry.recycled)).sorted { $0.order > $1.order }
    }

    /// Forgets a recycled stash (it has no database), so that `undo` goes further back.
    private func forget(_ record: LocalState.RecycledStash) throws {
        try LocalState.update(local.names) { state in
            state.recycled = state.recycled?.filter { $0.stash != record.stash }
            if state.recycled?.isEmpty == true { state.recycled = nil }
        }
    }

    /// When the stashes hold more than `limitBytes`: a sentence that says so and how to prune.
    public static func sizeWarning(_ stashes: [StashInfo], working: String, limitBytes: Double) -> String? {
        let total = stashes.reduce(Int64(0)) { $0 + ($1.sizeBytes ?? 0) }
        guard Double(total) > limitBytes else { return nil }
        // The most stashes, newest first, that fit under the limit.
        var keep = 0, kept = Int64(0)
        for stash in stashes {
            kept += stash.sizeBytes ?? 0
            if Double(kept) > limitBytes { break }
            keep += 1
        }
        let count = stashes.filter { ($0.sizeBytes ?? 0) > 0 }.count
        return "The \(count) stash\(count == 1 ? "" : "es") of \(working) \(count == 1 ? "holds" : "hold") \(ByteCount.format(total)), more than DPM_STASH_WARN_GB allows (\(ByteCount.format(Int64(limitBytes)))); run \"dpm stash prune --keep \(keep)\" to drop all but the newest \(keep) (dpm stash list shows them)."
    }

    /// Drops the stash named by its id (the time part) or its full database name.
    public func drop(_ id: String) throws -> StashInfo {
        let lock = try local.lockAndRepair()
        defer { withExtendedLifetime(lock) {} }
        let catalog = try local.catalog()
        if let record = LocalState.load(local.names).recycled?.first(where: { $0.stash == id || LocalNames.stashID($0.stash) == id }),
           !catalog.allNames.contains(record.stash) {
            try forget(record)
            return Entry.recycled(record).info(self, size: false)
        }
        let stashes = catalog.stashes
        guard let stash = stashes.first(where: { $0.name == id || LocalNames.stashID($0.name) == id }) else {
            if let refusal = catalog.refusal(for: id, roles: [.stash], matches: { LocalNames.stashID($0) == id }) { throw refusal }
            let known = stashes.prefix(5).map { LocalNames.stashID($0.name) }
            let hint = known.isEmpty ? "there are none" : "known: \(known.joined(separator: ", "))"
            throw DPMError.notFound("There is no stash \"\(id)\" of \(local.names.working) (\(hint)).")
        }
        let removed = info(stash, size: false)
        try local.drop(stash)
        return removed
    }

    /// Keeps the newest `keep` stashes and drops the rest; returns what was dropped.
    public func prune(keep: Int) throws -> [StashInfo] {
        let lock = try local.lockAndRepair()
        defer { withExtendedLifetime(lock) {} }
        let catalog = try local.catalog()
        catalog.noteUntrusted([.stash], local.workspace.note)
        let old = entries(catalog).dropFirst(max(0, keep))
        var removed: [StashInfo] = []
        for entry in old {
            removed.append(entry.info(self, size: false))
            switch entry {
            case .database(let stash): try local.drop(stash)
            case .recycled(let record): try forget(record)
            }
        }
        return removed
    }

    fileprivate func info(_ item: LocalCatalog.Item, size: Bool) -> StashInfo {
        StashInfo(id: LocalNames.stashID(item.name), database: item.name, profile: item.label.profile, snapshot: item.label.snapshot,
                  stashedAt: item.label.since, sizeBytes: size ? try? local.server.databaseSize(item.name) : nil,
                  media: local.names.media(of: item).flatMap { FolderMoves.exists($0) ? $0 : nil })
    }
}
