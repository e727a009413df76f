import Foundation

public struct CleanupResult: Codable, Sendable {
    public var dryRun: Bool
    /// Removed (or, in a dry run, what would be).
    public var removed: [Leftover]
    /// Left alone: what may be the only copy of something, or what a running dpm may use.
    public var kept: [Leftover]
    /// Removable, but removing failed; `advice` says why.
    public var failed: [Leftover]
}

/// `dpm cleanup`: finishes or undoes what killed commands left in this project, then removes
/// their leftovers: databases dpm was building or retiring, scratch folders in TMPDIR and
/// partial objects of dpm processes that are gone. It holds the project lock (and the refill
/// lock, when no refill runs), so nothing a running dpm of this project holds is touched.
public struct Cleanup {
    let local: LocalDatabases
    /// The download cache's partials folder, if the project uses one.
    let extraPartials: [String]

    public init(local: LocalDatabases, extraPartials: [String] = []) {
        self.local = local
        self.extraPartials = extraPartials
    }

    public func run(dryRun: Bool) throws -> CleanupResult {
        let names = local.names
        // The refill's order (refill lock, then the project lock), so that neither waits for the other.
        let refillLock = try? ProjectLock.acquire("\(names.stateDirectory)/refill.lock", timeout: 1)
        let lock = try local.lockProject()
        defer { withExtendedLifetime((lock, refillLock)) {} }
        if !dryRun {
            try InterruptedRestores(server: local.server, stateDirectory: names.stateDirectory, note: local.workspace.note).repair()
            try SwitchJournal.repair(local)
        }
        let scan = LeftoverScan(server: local.server, connection: local.connection, names: names, temporaryDirectory: local.workspace.temporaryDirectory,
                                partialsFolders: [local.workspace.store.partialsFolder].compactMap { $0 } + extraPartials,
                                projectIdle: true, refillIdle: refillLock != nil)
        var result = CleanupResult(dryRun: dryRun, removed: [], kept: [], failed: [])
        for item in try scan.all() {
            guard item.removable else {
                result.kept.append(item)
                continue
            }
            if dryRun {
                result.removed.append(item)
                continue
            }
            do {
                try remove(item)
                result.removed.append(item)
            } catch {
                var failed = item
                failed.advice = error.userMessage
                result.failed.append(failed)
            }
        }
        return result
    }

    private func remove(_ item: Leftover) throws {
        switch item.kind {
        case .database:
            try? local.server.setTemplate(item.name, false)
            try local.server.dropDatabase(item.name)
        case .folder, .file:
            do {
                try FileManager.default.removeItem(atPath: item.name)
            } catch {
                throw DPMError.permissionDenied("Cannot remove \(item.name); check its permissions.")
            }
        }
    }
}
