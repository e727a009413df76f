import Foundation

/// One cached template as `cache list` and `status` show it.
public struct TemplateInfo: Codable, Sendable {
    public var database: String
    public var profile: String?
    public var snapshot: String?
    public var sizeBytes: Int64?
    public var builtAt: String
    public var lastUsed: String?
    /// The ready copy that makes the next `use` a rename, if one is waiting.
    public var spare: String?
    public var media: String?
}

/// `dpm cache list|prune`: the template databases and their media.
public struct CacheInventory {
    let local: LocalDatabases

    public init(local: LocalDatabases) {
        self.local = local
    }

    public static let defaultKeep = 3

    /// Most recently used first.
    public func list() throws -> [TemplateInfo] { list(try local.catalog()) }

    func list(_ catalog: LocalCatalog) -> [TemplateInfo] {
        catalog.templatesByUse.map { info($0, catalog: catalog, size: true) }
    }

    /// Keeps the `keep` most recently used templates (of `profile`, when given) and drops
    /// the others with their spares and media. Returns what was dropped.
    public func prune(keep: Int, profile: ProfileName?) throws -> [TemplateInfo] {
        let lock = try local.lockAndRepair(recycling: false)
        defer { withExtendedLifetime(lock) {} }
        let catalog = try local.catalog()
        catalog.noteUntrusted([.template, .spare], local.workspace.note)
        let candidates = catalog.templatesByUse.filter { profile == nil || $0.label.profile == profile?.value }
        let cache = TemplateCache(local: local, loader: local.loader(1))
        var removed: [TemplateInfo] = []
        for template in candidates.dropFirst(max(0, keep)) {
            removed.append(info(template, catalog: catalog, size: false))
            try cache.remove(template, catalog: catalog)
        }
        return removed
    }

    private func info(_ item: LocalCatalog.Item, catalog: LocalCatalog, size: Bool) -> TemplateInfo {
        let names = local.names
        let spare = item.label.profile.flatMap { profile in item.label.snapshot.flatMap { catalog.spare(profile: profile, snapshot: $0) } }
        let media = item.label.profile.flatMap { profile in item.label.snapshot.map { names.templateMedia(profile: profile, snapshot: $0) } }
        return TemplateInfo(database: item.name, profile: item.label.profile, snapshot: item.label.snapshot,
                            sizeBytes: size ? try? local.server.databaseSize(item.name) : nil, builtAt: item.label.since,
                            lastUsed: item.label.lastUsed, spare: spare?.name, media: media.flatMap { FolderMoves.exists($0) ? $0 : nil })
    }
}
