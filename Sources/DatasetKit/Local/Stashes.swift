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

    func list(_ catalog: LocalCatalog) -> [StashInfo] { catalog.stashes.map { info($0, size: true) } }

    /// Drops the stash named by its id (the time part) or its full database name.
    public func drop(_ id: String) throws -> StashInfo {
        let lock = try local.lockProject()
        defer { withExtendedLifetime(lock) {} }
        try SwitchJournal.repair(local)
        let catalog = try local.catalog()
        let stashes = catalog.stashes
        guard let stash = stashes.first(where: { $0.name == id || LocalNames.stashID($0.name) == id }) else {
            if let refusal = catalog.refusal(for: id, roles: [.stash], matches: { LocalNames.stashID($0) == id }) { throw refusal }
            let known = stashes.prefix(5).map { LocalNames.stashID($0.name) }
            let hint = known.isEmpty ? "there are none" : "known: \(known.joined(separator: ", "))"
            throw DPMError("There is no stash \"\(id)\" of \(local.names.working) (\(hint)).")
        }
        let removed = info(stash, size: false)
        try local.drop(stash)
        return removed
    }

    /// Keeps the newest `keep` stashes and drops the rest; returns what was dropped.
    public func prune(keep: Int) throws -> [StashInfo] {
        let lock = try local.lockProject()
        defer { withExtendedLifetime(lock) {} }
        try SwitchJournal.repair(local)
        let catalog = try local.catalog()
        catalog.noteUntrusted([.stash], local.workspace.note)
        let old = catalog.stashes.dropFirst(max(0, keep))
        var removed: [StashInfo] = []
        for stash in old {
            removed.append(info(stash, size: false))
            try local.drop(stash)
        }
        return removed
    }

    private func info(_ item: LocalCatalog.Item, size: Bool) -> StashInfo {
        StashInfo(id: LocalNames.stashID(item.name), database: item.name, profile: item.label.profile, snapshot: item.label.snapshot,
                  stashedAt: item.label.since, sizeBytes: size ? try? local.server.databaseSize(item.name) : nil,
                  media: local.names.media(of: item).flatMap { FolderMoves.exists($0) ? $0 : nil })
    }
}
