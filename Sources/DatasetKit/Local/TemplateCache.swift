import Foundation

/// The database a switch or attach renames into place.
struct IncomingCopy {
    let database: String
    let method: SwitchResult.Method
    /// Migration versions the content had applied when its template was built.
    let migrations: Int?
    /// The template it came from, if it still exists (its use is recorded).
    let template: LocalCatalog.Item?
}

/// Restored snapshots kept as template databases (closed to connections) with their media,
/// so that switching to a snapshot again is a clone or a rename, not a restore.
struct TemplateCache {
    let local: LocalDatabases
    let loader: any SnapshotLoading

    var names: LocalNames { local.names }

    /// The waiting spare of `choice`, or else a clone of its template (restored first when
    /// there is none) named `cloneName`.
    func incomingCopy(_ choice: SnapshotChoice, catalog: LocalCatalog, cloneName: String) throws -> IncomingCopy {
        let template = catalog.template(profile: choice.profile.value, snapshot: choice.key)
        // The spare of a template the hooks outdate is a copy of it: `ensure` builds a new one.
        if let spare = catalog.spare(profile: choice.profile.value, snapshot: choice.key),
           !(template.map { local.hooks.outdates($0.label) } ?? false) {
            return IncomingCopy(database: spare.name, method: .spare, migrations: spare.label.migrations, template: template)
        }
        let ensured = try ensure(choice, catalog: catalog)
        local.workspace.progress.begin("copying the template \(ensured.template.name)")
        try local.server.cloneDatabase(from: ensured.template.name, to: cloneName)
        local.workspace.progress.end()
        return IncomingCopy(database: cloneName, method: ensured.built ? .restore : .clone,
                            migrations: ensured.template.label.migrations, template: ensured.template)
    }

    /// The template for `choice`, restoring it from the store (or git) when there is none,
    /// and whether it was built now. A template without the work of the post_restore hooks
    /// configured now is built again, and replaced only when its successor is complete (until
    /// then it stays, for `--no-hooks`).
    func ensure(_ choice: SnapshotChoice, catalog: LocalCatalog) throws -> (template: LocalCatalog.Item, built: Bool) {
        let profile = choice.profile.value
        let existing = catalog.template(profile: profile, snapshot: choice.key)
        if let existing, !local.hooks.outdates(existing.label) { return (existing, false) }
        let name = names.template(profile: profile, snapshot: choice.key)
        if existing == nil, catalog.allNames.contains(name) {
            throw DPMError.conflict("The database \(name) exists but is not a template dpm made; drop or rename it, and dpm will rebuild it.")
        }
        // Media is checked too when this build will be followed by fetching it.
        let mediaNeeded = local.workspace.project.mediaDirectory != nil
            && !FolderMoves.exists(names.templateMedia(profile: profile, snapshot: choice.key))
        try loader.checkObjects(choice, media: mediaNeeded ? try loader.mediaEntries(choice) : nil)
        let source = choice.snapshot == nil ? "the files in git" : "the store"
        if let existing {
            let how = existing.label.hooks == nil ? "without dpm.yaml's post_restore hooks" : "with other post_restore hooks than dpm.yaml's"
            local.workspace.note("The cached template \(name) of \(profile) \(choice.key) was built \(how); building it again from \(source) with them (--no-hooks would use it as it is).")
        } else if LocalState.load(names).templates.contains(name) {
            local.workspace.note("The cached template \(name) of \(profile) \(choice.key) is gone (dropped by hand?); rebuilding it from \(source).")
        } else {
            local.workspace.note("First use of \(profile) \(choice.key): restoring it from \(source) into the template \(name).")
        }
        let building = names.building("template")
        let retired = existing.map { (from: $0.name, to: names.building("template")) }
        if let fallback = try local.server.createDatabase(building, like: choice.properties) { local.workspace.note(fallback.note(for: name)) }
        let label: DatabaseLabel
        do {
            try loader.fill(building, with: choice, label: name)
            try DatabaseProperties.applySettings(choice.properties, to: building, on: local.server, note: local.workspace.note)
            // Before it becomes a template: a hook that fails leaves no template to be taken as good.
            try local.hooks.run(.templateBuilt, on: building, profile: profile, snapshot: choice.key)
            let applied = try MigrationDetector.appliedCount(in: building, on: local.query)
            label = DatabaseLabel(role: .template, working: names.working, profile: profile, snapshot: choice.key,
                                  kind: choice.kind, since: local.timestamp(), migrations: applied, hooks: local.hooks.templateRecord)
            try local.server.setTemplate(building, true)
            try local.server.applyAtomically(putInPlace(building, as: name, labelled: label, retiring: retired)) { _ in }
        } catch {
            try? local.server.setTemplate(building, false)
            local.dropIfPresent(building)
            throw error
        }
        if let retired {
            try? local.server.setTemplate(retired.to, false)
            local.dropIfPresent(retired.to)
        } else {
            try LocalState.update(names) { $0.templates.append(name) }
        }
        return (LocalCatalog.Item(name: name, label: label, isTemplate: true), true)
    }

    /// The renames that put a built template in place, in one transaction: the outdated one it
    /// replaces goes aside first, unlabelled, under a name of the building pattern, which the
    /// next command's repair drops if this one dies before it does.
    private func putInPlace(_ building: String, as name: String, labelled label: DatabaseLabel,
                            retiring retired: (from: String, to: String)?) -> [CatalogChange] {
        let aside: [CatalogChange] = retired.map { [.rename($0.from, to: $0.to), .comment(on: $0.to, nil)] } ?? []
        return aside + [.comment(on: building, label.commentText), .rename(building, to: name)]
    }

    /// `catalog` without the spare of `choice` when its template lacks the work of the
    /// post_restore hooks configured now: the spare is a copy of it, and `ensure` builds the
    /// template again (a spare is only a copy, so dropping it first loses nothing).
    func droppingOutdatedSpare(_ choice: SnapshotChoice, from catalog: LocalCatalog) throws -> LocalCatalog {
        let profile = choice.profile.value
        guard let template = catalog.template(profile: profile, snapshot: choice.key), local.hooks.outdates(template.label),
              let spare = catalog.spare(profile: profile, snapshot: choice.key) else { return catalog }
        try local.drop(spare)
        return try local.catalog()
    }

    /// Records that a switch or attach used the template now (it picks spares and pruning order).
    func touch(_ template: LocalCatalog.Item?) throws {
        guard let template else { return }
        var label = template.label
        label.lastUsed = local.timestamp()
        try local.server.applyAtomically([.comment(on: template.name, label.commentText)]) { _ in }
    }

    /// The snapshot's pristine media folder, fetched and verified on first use; nil when it has no media.
    func templateMedia(_ choice: SnapshotChoice) throws -> String? {
        guard choice.snapshot?.media != nil else { return nil }
        let path = names.templateMedia(profile: choice.profile.value, snapshot: choice.key)
        if FolderMoves.exists(path) { return path }
        guard let entries = try loader.mediaEntries(choice) else { return nil }
        try createFolder(FilePath.parent(path), purpose: "the media cache", permissions: 0o700)
        let staging = try loader.stageMedia(entries, beside: path)
        try FolderMoves.move(staging, to: path)
        return path
    }

    /// A complete media folder for a switch to rename into place, at `destination`: the
    /// ready spare copy when there is one, else a fresh copy of the template media (or an
    /// empty folder for a snapshot without media).
    func prepareIncomingMedia(_ choice: SnapshotChoice, at destination: String) throws {
        let spare = names.spareMedia(profile: choice.profile.value, snapshot: choice.key)
        if FolderMoves.exists(spare) { return try FolderMoves.move(spare, to: destination) }
        if let template = try templateMedia(choice) {
            try FolderMoves.copy(template, to: destination)
        } else {
            try createFolder(FilePath.parent(destination), purpose: "the media cache", permissions: PrivateFiles.folderMode)
            try createFolder(destination, purpose: "the new media folder")
        }
    }

    /// Drops a template with its spare and cached media.
    func remove(_ template: LocalCatalog.Item, catalog: LocalCatalog) throws {
        guard let profile = template.label.profile, let snapshot = template.label.snapshot else { return try local.drop(template) }
        if let spare = catalog.spare(profile: profile, snapshot: snapshot) { try local.drop(spare) }
        try local.drop(template)
        FolderMoves.remove("\(names.mediaCacheDirectory)/\(profile)/\(snapshot)")
        try LocalState.update(names) { state in state.templates.removeAll { $0 == template.name } }
    }
}
