import Foundation

/// Restored snapshots kept as template databases (closed to connections) with their media,
/// so that switching to a snapshot again is a clone or a rename, not a restore.
struct TemplateCache {
    let local: LocalDatabases
    let loader: SnapshotLoader

    var names: LocalNames { local.names }

    /// The template for `choice`, restoring it from the store (or git) when there is none.
    /// Returns its name and whether it was built now.
    func ensure(_ choice: SnapshotChoice, catalog: LocalCatalog) throws -> (name: String, built: Bool) {
        let profile = choice.profile.value
        if let template = catalog.template(profile: profile, snapshot: choice.key) { return (template.name, false) }
        let name = names.template(profile: profile, snapshot: choice.key)
        if catalog.allNames.contains(name) {
            throw DPMError("The database \(name) exists but is not a template dpm made; drop or rename it, and dpm will rebuild it.")
        }
        let source = choice.snapshot == nil ? "the files in git" : "the store"
        if LocalState.load(names).templates.contains(name) {
            local.workspace.note("The cached template \(name) of \(profile) \(choice.key) is gone (dropped by hand?); rebuilding it from \(source).")
        } else {
            local.workspace.note("First use of \(profile) \(choice.key): restoring it from \(source) into the template \(name).")
        }
        let building = names.building("template")
        try local.server.createDatabase(building)
        do {
            try loader.fill(building, with: choice, label: name)
            let applied = try MigrationDetector.detect(in: building, on: local.server).reduce(0) { $0 + $1.versions.count }
            let label = DatabaseLabel(role: .template, working: names.working, profile: profile, snapshot: choice.key,
                                      kind: choice.kind, since: local.timestamp(), migrations: applied)
            try local.server.setTemplate(building, true)
            try local.server.applyAtomically([.comment(on: building, label.commentText), .rename(building, to: name)]) { _ in }
        } catch {
            try? local.server.setTemplate(building, false)
            local.dropIfPresent(building)
            throw error
        }
        try LocalState.update(names) { $0.templates.append(name) }
        return (name, true)
    }

    /// Records that a switch or attach used the template now (it picks spares and pruning order).
    func touch(_ choice: SnapshotChoice) throws {
        let catalog = try local.catalog()
        guard let template = catalog.template(profile: choice.profile.value, snapshot: choice.key) else { return }
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
        try createFolder((path as NSString).deletingLastPathComponent, purpose: "the media cache", permissions: 0o700)
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
