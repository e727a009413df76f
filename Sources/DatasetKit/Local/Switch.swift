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
        let lock = try local.lockProject()
        defer { withExtendedLifetime(lock) {} }
        try SwitchJournal.repair(local)
        try local.requireCreatePrivilege(for: "use")

        let loader = SnapshotLoader(workspace: workspace, server: local.server, jobs: options.jobs)
        let choice = try loader.choose(options.profile, id: options.snapshotID)
        let mediaTarget = options.media ? workspace.project.mediaDirectory : nil
        try local.checkMediaFileSystem(mediaTarget)
        let catalog = try local.catalog()
        if catalog.workingExists {
            // Refuse before any slow work; the swap checks again.
            try local.clearSessions(on: names.working, force: options.force, what: "The working database")
        } else {
            workspace.note("The working database \(names.working) does not exist yet; dpm use creates it with \(choice.profile) \(choice.key).")
        }

        let templates = TemplateCache(local: local, loader: loader)
        let incoming: String
        var clone: String?
        var method = SwitchResult.Method.spare
        var migrations: Int?
        if let spare = catalog.spare(profile: choice.profile.value, snapshot: choice.key) {
            incoming = spare.name
            migrations = spare.label.migrations
        } else {
            let template = try templates.ensure(choice, catalog: catalog)
            method = template.built ? .restore : .clone
            let name = names.building("incoming")
            workspace.progress.begin("copying the template \(template.name)")
            try local.server.cloneDatabase(from: template.name, to: name)
            workspace.progress.end()
            clone = name
            incoming = name
            migrations = try local.catalog().template(profile: choice.profile.value, snapshot: choice.key)?.label.migrations
        }

        let token = randomSuffix(16)
        var incomingMedia: String?
        do {
            if mediaTarget != nil {
                let folder = "\(names.mediaCacheDirectory)/incoming-\(token)"
                try templates.prepareIncomingMedia(choice, at: folder)
                incomingMedia = folder
            }
        } catch {
            if let clone { local.dropIfPresent(clone) }
            throw error
        }
        let label = DatabaseLabel(role: .working, working: names.working, profile: choice.profile.value, snapshot: choice.key,
                                  kind: choice.kind, since: local.timestamp(), token: token, migrations: migrations)
        let stash = try swap(in: incoming, as: label, catalog: catalog, force: options.force,
                             media: mediaTarget, incomingMedia: incomingMedia, incomingIsCopy: true, clone: clone)
        try templates.touch(choice)
        return SwitchResult(database: names.working, profile: label.profile, snapshot: label.snapshot, method: method, stash: stash,
                            media: mediaTarget, seconds: workspace.now().timeIntervalSince(started))
    }

    public func undo(force: Bool) throws -> SwitchResult {
        let started = workspace.now()
        let lock = try local.lockProject()
        defer { withExtendedLifetime(lock) {} }
        try SwitchJournal.repair(local)
        try local.requireCreatePrivilege(for: "undo")

        let catalog = try local.catalog()
        guard let stash = catalog.stashes.first else {
            throw DPMError("Nothing to undo: there is no stash of \(names.working) (dpm use makes one each time it switches).")
        }
        // The stash's media comes back only if it has one; otherwise the media folder stays as it is.
        let stashMedia = stash.label.media.flatMap { FolderMoves.exists($0) ? $0 : nil }
        let mediaTarget = stashMedia == nil ? nil : workspace.project.mediaDirectory
        try local.checkMediaFileSystem(mediaTarget)
        if catalog.workingExists {
            try local.clearSessions(on: names.working, force: force, what: "The working database")
        }
        let token = randomSuffix(16)
        let held = stash.label
        let label = DatabaseLabel(role: .working, working: names.working, profile: held.profile, snapshot: held.snapshot,
                                  kind: held.kind, since: local.timestamp(), token: token, migrations: held.migrations)
        let newStash = try swap(in: stash.name, as: label, catalog: catalog, force: force,
                                media: mediaTarget, incomingMedia: stashMedia, incomingIsCopy: false, clone: nil)
        if let directory = stashMedia.map({ (($0 as NSString).deletingLastPathComponent) }) { try? FileManager.default.removeItem(atPath: directory) }
        return SwitchResult(database: names.working, profile: label.profile, snapshot: label.snapshot, method: .stash,
                            stash: newStash, media: mediaTarget, seconds: workspace.now().timeIntervalSince(started))
    }

    /// Stashes the working database (if any) and renames `incoming` to its name in one
    /// transaction, then moves the media folders. Returns the stash's name.
    private func swap(in incoming: String, as label: DatabaseLabel, catalog: LocalCatalog, force: Bool,
                      media mediaTarget: String?, incomingMedia: String?, incomingIsCopy: Bool, clone: String?) throws -> String? {
        var changes: [CatalogChange] = []
        var stash: String?
        var stashMedia: String?
        if catalog.workingExists {
            let name = names.stash(at: workspace.now(), taken: catalog.allNames)
            if let mediaTarget, FolderMoves.exists(mediaTarget) { stashMedia = names.stashMedia(name) }
            let held = catalog.workingLabel
            let stashLabel = DatabaseLabel(role: .stash, working: names.working, profile: held?.profile, snapshot: held?.snapshot,
                                           kind: held?.kind, since: local.timestamp(), media: stashMedia, migrations: held?.migrations)
            changes += [.rename(names.working, to: name), .comment(on: name, stashLabel.commentText)]
            stash = name
        }
        changes += [.rename(incoming, to: names.working), .comment(on: names.working, label.commentText)]
        if stash == nil, incomingMedia != nil, let mediaTarget, FolderMoves.exists(mediaTarget) {
            // The database it belonged to is gone, but the files may still matter: keep them.
            stashMedia = names.stashMedia("orphaned-\(randomSuffix())")
            workspace.note("The media folder had no working database beside it; it is kept in \(stashMedia ?? "").")
        }

        let journal = SwitchJournal(token: label.token ?? "", mediaTarget: mediaTarget, stashMedia: stashMedia,
                                    incomingMedia: incomingMedia, incomingIsCopy: incomingIsCopy, incomingDatabase: clone)
        try journal.write(names)
        do {
            try local.apply(changes, sessionsOn: catalog.workingExists ? names.working : nil, force: force) { index in
                if index == 1 { try workspace.checkpoint("use.between-renames") }
            }
        } catch {
            if incomingIsCopy, let incomingMedia { FolderMoves.remove(incomingMedia) }
            if let clone { local.dropIfPresent(clone) }
            SwitchJournal.remove(names)
            throw error
        }
        try workspace.checkpoint("use.before-media")
        try journal.finishMedia { try workspace.checkpoint("use.between-media-renames") }
        SwitchJournal.remove(names)
        try LocalState.update(names) { state in
            state.active = LocalState.Active(profile: label.profile, snapshot: label.snapshot, since: label.since)
        }
        return stash
    }
}
