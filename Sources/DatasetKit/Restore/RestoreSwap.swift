import Foundation

/// `.dpm/restore.json`: what a restore is about to swap in, written before the swap's
/// transaction and removed when the restore is finished. After a kill, the next command
/// (under the project lock) finishes a restore whose swap committed, or drops what one
/// that did not commit was building.
struct RestoreJournal: Codable, Equatable {
    var target: String
    /// The complete database that takes the target's name.
    var building: String
    /// The name the target's previous content gets; nil when the target did not exist.
    var retired: String?
    /// The complete media folder that replaces `mediaTarget`.
    var staging: String?
    var mediaTarget: String?
    /// Set just before the swap's transaction: without it, the swap cannot have committed.
    var swapping: Bool
    /// The restoring process, whose scratch folders in TMPDIR (`ScratchNames`) go with it.
    var pid: Int32?

    static func path(_ stateDirectory: String) -> String { "\(stateDirectory)/restore.json" }

    func write(_ stateDirectory: String) throws {
        try createFolder(stateDirectory, purpose: "dpm's local state folder", permissions: 0o700)
        try AtomicFile.write(try CanonicalJSON.encode(self), to: Self.path(stateDirectory), mode: 0o600)
    }

    static func load(_ stateDirectory: String) -> RestoreJournal? {
        guard let data = FileManager.default.contents(atPath: path(stateDirectory)) else { return nil }
        return try? JSONDecoder().decode(RestoreJournal.self, from: data)
    }

    static func remove(_ stateDirectory: String) {
        unlink(path(stateDirectory))
    }
}

/// The database half of a restore: the completed database takes the target's name, and the
/// target's previous content a retired name, in one transaction, so that a kill at any
/// moment leaves the target with its old or its new content, never without one.
struct RestoreSwap {
    let server: DatabaseCatalog
    let names: LocalNames
    let note: @Sendable (String) -> Void
    let checkpoint: @Sendable (String) throws -> Void
    var temporaryDirectory = NSTemporaryDirectory()

    /// Renames `journal.building` to the target (and the target, if any, to `journal.retired`),
    /// relabelling both, in one transaction. The target's sessions are ended first.
    func commit(_ journal: RestoreJournal, label: String?, retiredLabel: String) throws {
        var changes: [CatalogChange] = []
        if let retired = journal.retired {
            changes += [.rename(journal.target, to: retired), .comment(on: retired, retiredLabel)]
        }
        changes += [.rename(journal.building, to: journal.target), .comment(on: journal.target, label)]
        try applyEndingSessions(changes, on: journal.retired == nil ? nil : journal.target) { index in
            if index == 1, journal.retired != nil { try checkpoint("restore.between-renames") }
        }
    }

    /// Undoes a committed swap: the new content goes back to its building name (and is
    /// dropped), the previous content gets the target's name and comment again.
    func rollBack(_ journal: RestoreJournal, previousComment: String?) throws {
        var changes: [CatalogChange] = [.rename(journal.target, to: journal.building)]
        if let retired = journal.retired {
            changes += [.rename(retired, to: journal.target), .comment(on: journal.target, previousComment)]
        }
        try applyEndingSessions(changes, on: journal.target)
        try? server.dropDatabase(journal.building)
    }

    /// Drops the target's previous content once the restore is complete.
    func dropRetired(_ journal: RestoreJournal) {
        guard let retired = journal.retired, (try? server.databaseExists(retired)) == true else { return }
        do {
            try server.dropDatabase(retired)
        } catch {
            note("The replaced database was kept as \(retired) because it could not be dropped (\(error.userMessage)); dpm cleanup drops it.")
        }
    }

    /// Sessions that reconnect between ending them and the transaction are ended again, a few times.
    private func applyEndingSessions(_ changes: [CatalogChange], on database: String?,
                                     afterEach: (Int) throws -> Void = { _ in }) throws {
        for attempt in 1...5 {
            if let database { try server.terminateConnections(to: database) }
            do {
                return try server.applyAtomically(changes, afterEach: afterEach)
            } catch let error as DPMError where error.kind == .inUse {
                if attempt == 5 { throw error }
            }
        }
    }

    /// Finishes or undoes a restore a kill interrupted; run under the project lock. A swap
    /// that committed is finished (media moved in, the previous content dropped); one that
    /// did not leaves the target as it was, and what it was building is removed.
    func repair() throws {
        let path = RestoreJournal.path(names.stateDirectory)
        guard let journal = RestoreJournal.load(names.stateDirectory) else {
            if FileManager.default.fileExists(atPath: path) { RestoreJournal.remove(names.stateDirectory) }
            return
        }
        // A statement the killed restore had sent may still be running on the server.
        for _ in 0..<300 {
            guard try [journal.building, journal.retired].compactMap({ $0 }).contains(where: { try server.isBusy(with: $0) }) else { break }
            usleep(100_000)
        }
        if try server.databaseExists(journal.building) {
            try? server.dropDatabase(journal.building)
            removeMediaWork(journal, prefix: "dpm-staging-")
            note("An interrupted restore into \(journal.target) was rolled back: \(journal.target) is as it was before it.")
        } else if journal.swapping, try server.databaseExists(journal.target) {
            if let staging = journal.staging, let mediaTarget = journal.mediaTarget, FolderMoves.exists(staging) {
                try MediaFolder.swap(staging, into: mediaTarget)
            }
            removeMediaWork(journal, prefix: "dpm-old-")
            dropRetired(journal)
            if journal.target == names.working,
               let label = DatabaseLabel.parse(try server.catalog(named: names.working, orMatching: "^$").first { $0.name == names.working }?.comment) {
                try LocalState.update(names) { state in
                    state.active = LocalState.Active(profile: label.profile, snapshot: label.snapshot, since: label.since)
                }
            }
            note("Finished an interrupted restore into \(journal.target).")
        } else {
            removeMediaWork(journal, prefix: "dpm-staging-")
        }
        if let pid = journal.pid, pid != getpid() { removeScratch(of: pid) }
        RestoreJournal.remove(names.stateDirectory)
    }

    private func removeScratch(of pid: Int32) {
        let folder = temporaryDirectory.hasSuffix("/") ? String(temporaryDirectory.dropLast()) : temporaryDirectory
        for entry in (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? [] where ScratchNames.owner(ofScratch: entry) == pid {
            FolderMoves.remove("\(folder)/\(entry)")
        }
    }

    /// Staging folders (`.<name>.dpm-staging-<hex>`) or replaced media (`.<name>.dpm-old-<hex>`)
    /// beside the media folder: under the project lock only a restore makes them.
    private func removeMediaWork(_ journal: RestoreJournal, prefix: String) {
        guard let mediaTarget = journal.mediaTarget, let parent = MediaDestination.parentFolder(of: mediaTarget) else { return }
        let base = mediaTarget.split(separator: "/").last.map(String.init) ?? mediaTarget
        for entry in (try? FileManager.default.contentsOfDirectory(atPath: parent)) ?? [] where entry.hasPrefix(".\(base).\(prefix)") {
            FolderMoves.remove("\(parent)/\(entry)")
        }
    }
}
