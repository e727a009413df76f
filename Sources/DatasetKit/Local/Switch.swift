import Foundation

public struct SwitchOptions: Sendable {
    public var profile: ProfileName
    public var snapshotID: String?
    /// End other sessions on the working database instead of refusing.
    public var force: Bool
    /// Swap the media folder too (when the project has one).
    public var media: Bool
    public var jobs: Int

    public init(profile: ProfileName, snapshotID: String? = nil, force: Bool = false, media: Bool = true,
                jobs: Int = ProcessInfo.processInfo.activeProcessorCount) {
        self.profile = profile
        self.snapshotID = snapshotID
        self.force = force
        self.media = media
        self.jobs = max(1, jobs)
    }
}

public struct SwitchResult: Codable, Sendable {
    public enum Method: String, Codable, Sendable {
        /// A ready spare copy was renamed into place.
        case spare
        /// The cached template was cloned.
        case clone
        /// The template was restored first (first use, or it was gone), then cloned.
        case restore
        /// `undo`: a stash was renamed back.
        case stash
    }

    public var database: String
    /// What the working database holds now (nil: a database dpm did not fill).
    public var profile: String?
    public var snapshot: String?
    public var method: Method
    /// Where the previous working database went.
    public var stash: String?
    /// The media folder, when it was swapped.
    public var media: String?
    public var seconds: Double
    /// `undo`: how many tables of what came back had been written to since it was switched in.
    public var tablesWritten: Int?
    /// What happened to the stash of a previous working database that held nothing but an
    /// unchanged template copy: "spare" (it became the template's spare copy) or "dropped".
    public var stashRecycled: String?
    /// What that recycled stash held ("ug 20261122T101500Z-a1b2c3").
    public var recycledHeld: String?
    /// `undo`: what came back was such a recycled stash, rebuilt from its template.
    public var rebuiltFromTemplate: Bool?
}

/// `dpm use` and `dpm undo`: the working database (and media folder) are replaced by
/// renames in one transaction; what they held is stashed, never dropped.
public struct Switch {
    let local: LocalDatabases

    public init(local: LocalDatabases) {
        self.local = local
    }

    var workspace: Workspace { local.workspace }
    var names: LocalNames { local.names }

    public func use(_ options: SwitchOptions) throws -> SwitchResult {
        let started = workspace.now()
        let lock = try local.lockAndRepair()
        defer { withExtendedLifetime(lock) {} }
        try local.requireCreatePrivilege(for: "use")

        let loader = local.loader(options.jobs)
        let choice = try loader.choose(options.profile, id: options.snapshotID)
        let mediaTarget = options.media ? workspace.project.mediaDirectory : nil
        try local.checkMediaFileSystem(mediaTarget)
        let catalog = try TemplateCache(local: local, loader: loader).droppingOutdatedSpare(choice, from: try local.catalog())
        if catalog.workingExists {
            // Refuse before any slow work; the swap checks again.
            try local.clearSessions(on: names.working, force: options.force, what: "The working database")
        } else {
            workspace.note("The working database \(names.working) does not exist yet; dpm use creates it with \(choice.profile) \(choice.key).")
        }

        let (plan, incoming, label, templates) = try prepareCopy(of: choice, catalog: catalog, media: mediaTarget, loader: loader)
        try swap(in: incoming.database, as: label, plan: plan, force: options.force)
        try templates.touch(incoming.template)
        workspace.progress.end()
        var result = SwitchResult(database: names.working, profile: label.profile, snapshot: label.snapshot, method: incoming.method,
                                  stash: plan.stash, media: mediaTarget, seconds: workspace.now().timeIntervalSince(started))
        (result.stashRecycled, result.recycledHeld) = recycle(plan)
        return result
    }

    /// Everything a switch does before its transaction: names it in the journal (written before
    /// the copies, so that its fsync does not wait for a fresh database's blocks), takes the
    /// waiting spare or clones the template, prepares the media, and labels the copy. On a
    /// failure the preparations are rolled back, and `failed` runs.
    private func prepareCopy(of choice: SnapshotChoice, catalog: LocalCatalog, media mediaTarget: String?, loader: any SnapshotLoading,
                             journaled: (SwitchPlan) throws -> Void = { _ in }, failed: () -> Void = {})
        throws -> (plan: SwitchPlan, incoming: IncomingCopy, label: DatabaseLabel, templates: TemplateCache) {
        let templates = TemplateCache(local: local, loader: loader)
        let cloneName = names.building("incoming")
        var plan = plan(catalog: catalog, media: mediaTarget, incomingMedia: true)
        plan.journal.incomingIsCopy = true
        plan.journal.incomingDatabase = catalog.spare(profile: choice.profile.value, snapshot: choice.key) == nil ? cloneName : nil
        try plan.writeJournal(names)
        try journaled(plan)
        let incoming: IncomingCopy
        do {
            incoming = try templates.incomingCopy(choice, catalog: catalog, cloneName: cloneName)
            if let folder = plan.journal.incomingMedia { try templates.prepareIncomingMedia(choice, at: folder) }
        } catch {
            plan.rollBack(local)
            failed()
            throw error
        }
        let pristine = PristineCheck(local: local).mark(database: incoming.database, media: plan.journal.incomingMedia)
        let label = DatabaseLabel(role: .working, working: names.working, profile: choice.profile.value, snapshot: choice.key,
                                  kind: choice.kind, since: local.timestamp(), token: plan.journal.token, migrations: incoming.migrations,
                                  pristine: pristine)
        return (plan, incoming, label, templates)
    }

    /// Recycles the stash just made when it holds nothing but its template's copy.
    private func recycle(_ plan: SwitchPlan) -> (String?, String?) {
        guard let stash = plan.stash else { return (nil, nil) }
        do {
            switch try StashRecycling(local: local).recycle(stash, held: plan.held) {
            case .kept: return (nil, nil)
            case .spare: return ("spare", plan.held?.contentDescription)
            case .dropped: return ("dropped", plan.held?.contentDescription)
            }
        } catch {
            workspace.note("The stash \(stash) held only an unchanged template copy, but recycling it failed (\(error)); the next dpm use, undo or stash command finishes it.")
            return (nil, nil)
        }
    }

    /// `undo` to a stash that was recycled: a fresh copy of its template (the spare, or a
    /// clone) with the template's media, exactly what the stash held.
    private func rebuild(_ record: LocalState.RecycledStash, catalog: LocalCatalog, force: Bool, started: Date) throws -> SwitchResult {
        let profile = try ProfileName(record.profile)
        let loader = local.loader(ProcessInfo.processInfo.activeProcessorCount)
        let choice: SnapshotChoice
        if record.snapshot.hasPrefix("git-") {
            // A clean profile's key names files in git; only its template still holds that content.
            guard catalog.template(profile: record.profile, snapshot: record.snapshot) != nil else {
                throw DPMError.conflict("The last stash held \(record.profile) \(record.snapshot) unchanged and was recycled, but its template is gone and the files in git changed since; run \"dpm use \(record.profile)\" for the current files, or \"dpm stash drop \(LocalNames.stashID(record.stash))\" to undo further back.")
            }
            choice = SnapshotChoice(profile: profile, kind: .clean, key: record.snapshot, snapshot: nil, properties: nil)
        } else {
            choice = try loader.choose(profile, id: record.snapshot)
        }
        let mediaTarget = record.media ? workspace.project.mediaDirectory : nil
        try local.checkMediaFileSystem(mediaTarget)
        if catalog.workingExists {
            try local.clearSessions(on: names.working, force: force, what: "The working database")
        }
        let (plan, incoming, label, templates) = try prepareCopy(of: choice, catalog: catalog, media: mediaTarget, loader: loader,
            journaled: { plan in
                try LocalState.update(names) { state in
                    state.recycled = state.recycled?.map { $0.stash == record.stash ? with($0) { $0.consumedBy = plan.journal.token } : $0 }
                }
            }, failed: { try? StashRecycling.repair(local) })
        do {
            try swap(in: incoming.database, as: label, plan: plan, force: force)
        } catch {
            try? StashRecycling.repair(local)
            throw error
        }
        try LocalState.update(names) { state in
            state.recycled = state.recycled?.filter { $0.stash != record.stash }
            if state.recycled?.isEmpty == true { state.recycled = nil }
        }
        try templates.touch(incoming.template)
        var result = SwitchResult(database: names.working, profile: label.profile, snapshot: label.snapshot, method: incoming.method,
                                  stash: plan.stash, media: mediaTarget, seconds: workspace.now().timeIntervalSince(started))
        result.rebuiltFromTemplate = true
        result.tablesWritten = 0
        (result.stashRecycled, result.recycledHeld) = recycle(plan)
        return result
    }

    public func undo(force: Bool) throws -> SwitchResult {
        let started = workspace.now()
        let lock = try local.lockAndRepair()
        defer { withExtendedLifetime(lock) {} }
        try local.requireCreatePrivilege(for: "undo")

        let catalog = try local.catalog()
        catalog.noteUntrusted([.stash], workspace.note)
        if let record = LocalState.load(names).recycled?.filter({ $0.pending == nil && $0.consumedBy == nil })
            .max(by: { ($0.stashedAt, $0.stash) < ($1.stashedAt, $1.stash) }),
           catalog.stashes.first.map({ ($0.label.since, $0.name) < (record.stashedAt, record.stash) }) ?? true {
            return try rebuild(record, catalog: catalog, force: force, started: started)
        }
        guard let stash = catalog.stashes.first else {
            if let label = catalog.workingLabel, let active = LocalState.load(names).active, active.createdDatabase == true,
               active.profile == label.profile, active.snapshot == label.snapshot {
                throw DPMError.notFound("Nothing to undo: there is no stash of \(names.working), because dpm use created it with \(label.contentDescription) (there was no \(names.working) before); to switch it to other data, run \"dpm use <profile>\", and to have no working database again, drop \(names.working) yourself (dpm never drops a working database).")
            }
            throw DPMError.notFound("Nothing to undo: there is no stash of \(names.working) (dpm use makes one each time it switches).")
        }
        // The stash's media comes back only if it has one; otherwise the media folder stays as it is.
        let stashMedia = names.media(of: stash).flatMap { FolderMoves.exists($0) ? $0 : nil }
        let mediaTarget = stashMedia == nil ? nil : workspace.project.mediaDirectory
        try local.checkMediaFileSystem(mediaTarget)
        if catalog.workingExists {
            try local.clearSessions(on: names.working, force: force, what: "The working database")
        }
        var plan = plan(catalog: catalog, media: mediaTarget, incomingMedia: false)
        plan.journal.incomingMedia = stashMedia
        try plan.writeJournal(names)
        let held = stash.label
        let label = DatabaseLabel(role: .working, working: names.working, profile: held.profile, snapshot: held.snapshot,
                                  kind: held.kind, since: local.timestamp(), token: plan.journal.token, migrations: held.migrations)
        try swap(in: stash.name, as: label, plan: plan, force: force)
        if stashMedia != nil { FolderMoves.remove(names.stashFolder(stash.name)) }
        var result = SwitchResult(database: names.working, profile: label.profile, snapshot: label.snapshot, method: .stash,
                                  stash: plan.stash, media: mediaTarget, seconds: workspace.now().timeIntervalSince(started))
        // What came back is the work done on that snapshot, not the snapshot itself: say so.
        result.tablesWritten = (try? local.tablesWritten(in: names.working))?.count
        (result.stashRecycled, result.recycledHeld) = recycle(plan)
        return result
    }

    /// Names everything a switch will make or move before it starts.
    private func plan(catalog: LocalCatalog, media mediaTarget: String?, incomingMedia: Bool) -> SwitchPlan {
        let token = randomSuffix(16)
        // Recycled stashes keep their names, so that undo and stash drop can tell them apart.
        let recycled = (LocalState.load(names).recycled ?? []).map(\.stash)
        let stash = catalog.workingExists ? names.stash(at: workspace.now(), taken: catalog.allNames.union(recycled)) : nil
        var stashMedia: String?
        if let mediaTarget, FolderMoves.exists(mediaTarget) {
            if let stash {
                stashMedia = names.stashMedia(stash)
            } else {
                // The database it belonged to is gone, but the files may still matter: keep them.
                stashMedia = names.stashMedia("orphaned-\(randomSuffix())")
                workspace.note("The media folder has no working database beside it; it will be kept in \(stashMedia ?? "").")
            }
        }
        let journal = SwitchJournal(token: token, mediaTarget: mediaTarget, stashMedia: stashMedia,
                                    incomingMedia: incomingMedia && mediaTarget != nil ? "\(names.mediaCacheDirectory)/incoming-\(token)" : nil,
                                    incomingIsCopy: false, incomingDatabase: nil)
        return SwitchPlan(journal: journal, stash: stash, held: catalog.workingLabel)
    }

    /// Stashes the working database (if any) and renames `incoming` to its name in one
    /// transaction, then moves the media folders.
    private func swap(in incoming: String, as label: DatabaseLabel, plan: SwitchPlan, force: Bool) throws {
        var changes: [CatalogChange] = []
        if let stash = plan.stash {
            let held = plan.held
            let stashLabel = DatabaseLabel(role: .stash, working: names.working, profile: held?.profile, snapshot: held?.snapshot,
                                           kind: held?.kind, since: local.timestamp(), media: plan.journal.stashMedia,
                                           migrations: held?.migrations)
            changes += [.rename(names.working, to: stash), .comment(on: stash, stashLabel.commentText)]
        }
        changes += [.rename(incoming, to: names.working), .comment(on: names.working, label.commentText)]
        do {
            try local.apply(changes, sessionsOn: plan.stash == nil ? nil : names.working, force: force) { index in
                if index == 1 { try workspace.checkpoint("use.between-renames") }
            }
        } catch {
            plan.rollBack(local)
            throw error
        }
        try workspace.checkpoint("use.before-media")
        try plan.journal.finishMedia { try workspace.checkpoint("use.between-media-renames") }
        SwitchJournal.remove(names)
        try LocalState.update(names) { state in
            state.active = LocalState.Active(profile: label.profile, snapshot: label.snapshot, since: label.since,
                                             createdDatabase: plan.stash == nil ? true : nil)
        }
    }
}

/// What one switch will do, decided before it does anything.
struct SwitchPlan {
    var journal: SwitchJournal
    /// The name the working database gets, when there is one.
    let stash: String?
    /// What the working database holds now.
    let held: DatabaseLabel?

    /// The journal matters only when media moves: the database side is one transaction.
    func writeJournal(_ names: LocalNames) throws {
        if journal.mediaTarget != nil { try journal.write(names) }
    }

    /// Undoes the preparations of a switch that did not commit.
    func rollBack(_ local: LocalDatabases) {
        journal.rollBack(local)
        SwitchJournal.remove(local.names)
    }
}

func with<T>(_ value: T, _ change: (inout T) -> Void) -> T {
    var copy = value
    change(&copy)
    return copy
}
