import Foundation

/// Keeps one ready copy ("spare") of each recently used template, so that `use` is two
/// renames. Runs in the background after a switch; one refill at a time (its own lock),
/// and it holds the project lock only for the short steps that read or rename.
///
/// A spare gets its name only when it is complete: the clone is built under a temporary
/// name (`__dpm_clone_`), labelled, then renamed in one transaction. A refill killed
/// mid-clone leaves only a temporary name, which the next refill drops.
public struct SpareRefill {
    let local: LocalDatabases
    /// How many of the most recently used templates keep a spare.
    let spares: Int

    public init(local: LocalDatabases, spares: Int) {
        self.local = local
        self.spares = max(0, spares)
    }

    public struct Result: Codable, Sendable {
        public var made: [String] = []
        public var dropped: [String] = []
    }

    var names: LocalNames { local.names }

    public func run() throws -> Result {
        let refillLock = try ProjectLock.acquire("\(names.stateDirectory)/refill.lock", timeout: 3600)
        defer { withExtendedLifetime(refillLock) {} }
        removeStrayClones()
        var result = Result()
        // Each round makes at most one spare; the bound only guards against surprises.
        for _ in 0..<32 {
            guard let job = try plan(&result) else { break }
            try make(job, &result)
        }
        return result
    }

    private struct Job {
        let template: LocalCatalog.Item
        let profile: String
        let snapshot: String
        let needsDatabase: Bool
    }

    /// Drops spares nobody is likely to use and picks the next template that lacks one.
    private func plan(_ result: inout Result) throws -> Job? {
        let lock = try local.lockProject()
        defer { withExtendedLifetime(lock) {} }
        let catalog = try local.catalog()
        let wanted = catalog.templatesByUse.prefix(spares)
        let wantedKeys = Set(wanted.map { "\($0.label.profile ?? "")\n\($0.label.snapshot ?? "")" })
        for spare in catalog.items(.spare) where !wantedKeys.contains("\(spare.label.profile ?? "")\n\(spare.label.snapshot ?? "")") {
            try local.drop(spare)
            if let profile = spare.label.profile, let snapshot = spare.label.snapshot {
                FolderMoves.remove(names.spareMedia(profile: profile, snapshot: snapshot))
            }
            result.dropped.append(spare.name)
        }
        for template in wanted {
            guard let profile = template.label.profile, let snapshot = template.label.snapshot else { continue }
            let needsDatabase = catalog.spare(profile: profile, snapshot: snapshot) == nil
            let templateMedia = names.templateMedia(profile: profile, snapshot: snapshot)
            let needsMedia = FolderMoves.exists(templateMedia) && !FolderMoves.exists(names.spareMedia(profile: profile, snapshot: snapshot))
            if needsDatabase || needsMedia {
                return Job(template: template, profile: profile, snapshot: snapshot, needsDatabase: needsDatabase)
            }
        }
        return nil
    }

    private func make(_ job: Job, _ result: inout Result) throws {
        let templateMedia = names.templateMedia(profile: job.profile, snapshot: job.snapshot)
        let spareMedia = names.spareMedia(profile: job.profile, snapshot: job.snapshot)
        if FolderMoves.exists(templateMedia), !FolderMoves.exists(spareMedia) {
            let copy = "\(names.mediaCacheDirectory)/spare-tmp-\(randomSuffix())"
            do {
                try FolderMoves.copy(templateMedia, to: copy)
                try FolderMoves.move(copy, to: spareMedia)
            } catch {
                FolderMoves.remove(copy)
                throw error
            }
        }
        guard job.needsDatabase else { return }
        let clone = names.building("clone")
        try local.server.cloneDatabase(from: job.template.name, to: clone)
        try local.workspace.checkpoint("refill.after-clone")
        let lock = try local.lockProject()
        defer { withExtendedLifetime(lock) {} }
        let catalog = try local.catalog()
        let spareName = names.spare(profile: job.profile, snapshot: job.snapshot)
        guard catalog.template(profile: job.profile, snapshot: job.snapshot) != nil, !catalog.allNames.contains(spareName) else {
            // The template was pruned, or a spare appeared, while the copy was made.
            local.dropIfPresent(clone)
            return
        }
        let label = DatabaseLabel(role: .spare, working: names.working, profile: job.profile, snapshot: job.snapshot,
                                  kind: job.template.label.kind, since: local.timestamp(), migrations: job.template.label.migrations)
        try local.server.applyAtomically([.comment(on: clone, label.commentText), .rename(clone, to: spareName)]) { _ in }
        result.made.append(spareName)
    }

    /// What a killed refill left: only refills make these names, and we hold the refill lock.
    private func removeStrayClones() {
        for name in (try? local.server.databaseNames(matching: names.buildingPattern("clone"))) ?? [] {
            local.dropIfPresent(name)
        }
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: names.mediaCacheDirectory)) ?? []
        for entry in entries where entry.hasPrefix("spare-tmp-") {
            FolderMoves.remove("\(names.mediaCacheDirectory)/\(entry)")
        }
    }
}
