import Foundation

/// A stash that holds nothing but an unchanged copy of a cached template is a second copy of
/// that template: dpm does not keep it. It becomes the template's spare (when it has none)
/// or is dropped, and `.dpm/state.json` records what it held so that `undo` rebuilds it
/// from the template. A stash with any local change is kept as it is.
///
/// Crash safety: the record is written (pending) before the database is renamed or
/// dropped, and the media moved after; `repair` finishes a killed recycling: a stash whose
/// database is still there stays a stash (the record goes), one whose database is gone has
/// its media folder put away.
struct StashRecycling {
    let local: LocalDatabases

    var names: LocalNames { local.names }

    /// What was done with the previous working database's stash.
    enum Outcome {
        case kept
        case spare(String)
        case dropped
    }

    func recycle(_ stash: String, held: DatabaseLabel?) throws -> Outcome {
        guard let held, let mark = held.pristine, let profile = held.profile, let snapshot = held.snapshot else { return .kept }
        let catalog = try local.catalog()
        guard let item = catalog.stashes.first(where: { $0.name == stash }),
              catalog.template(profile: profile, snapshot: snapshot) != nil else { return .kept }
        let media = names.media(of: item).flatMap { FolderMoves.exists($0) ? $0 : nil }
        guard PristineCheck(local: local).unchanged(stash, mark: mark, since: held.since, media: media) else { return .kept }

        let record = LocalState.RecycledStash(stash: stash, profile: profile, snapshot: snapshot, kind: held.kind,
                                              migrations: held.migrations, switchedIn: held.since, stashedAt: item.label.since,
                                              media: media != nil, pending: true, consumedBy: nil)
        try LocalState.update(names) { $0.recycled = ($0.recycled ?? []) + [record] }
        try local.workspace.checkpoint("use.recycle-stash")
        let spareName = names.spare(profile: profile, snapshot: snapshot)
        let outcome: Outcome
        if catalog.spare(profile: profile, snapshot: snapshot) == nil, !catalog.allNames.contains(spareName) {
            let label = DatabaseLabel(role: .spare, working: names.working, profile: profile, snapshot: snapshot,
                                      kind: held.kind, since: local.timestamp(), migrations: held.migrations)
            try local.server.applyAtomically([.comment(on: stash, label.commentText), .rename(stash, to: spareName)]) { _ in }
            outcome = .spare(spareName)
        } else {
            try local.server.dropDatabase(stash)
            outcome = .dropped
        }
        putAwayMedia(of: record)
        try LocalState.update(names) { state in
            state.recycled = state.recycled?.map { $0.stash == stash ? with($0) { $0.pending = nil } : $0 }
        }
        return outcome
    }

    /// The stash folder of a recycled stash: its media (the template's, unchanged) becomes
    /// the spare media when there is none, else it goes.
    private func putAwayMedia(of record: LocalState.RecycledStash) {
        let folder = names.stashFolder(record.stash)
        let media = names.stashMedia(record.stash)
        let spareMedia = names.spareMedia(profile: record.profile, snapshot: record.snapshot)
        if FolderMoves.exists(media), !FolderMoves.exists(spareMedia),
           FolderMoves.exists(names.templateMedia(profile: record.profile, snapshot: record.snapshot)) {
            try? FolderMoves.move(media, to: spareMedia)
        }
        FolderMoves.remove(folder)
    }

    /// Finishes what a killed recycling or rebuild left; run under the project lock.
    static func repair(_ local: LocalDatabases) throws {
        let state = LocalState.load(local.names)
        guard let records = state.recycled, records.contains(where: { $0.pending == true || $0.consumedBy != nil }) else { return }
        let catalog = try local.catalog()
        let stashes = Set(catalog.stashes.map(\.name))
        var kept: [LocalState.RecycledStash] = []
        for var record in records {
            if let token = record.consumedBy {
                // The undo that brought it back committed: it is the working database now.
                if catalog.workingLabel?.token == token { continue }
                record.consumedBy = nil
            }
            if record.pending == true {
                if stashes.contains(record.stash) { continue }
                StashRecycling(local: local).putAwayMedia(of: record)
                record.pending = nil
            }
            kept.append(record)
        }
        try LocalState.update(local.names) { $0.recycled = kept.isEmpty ? nil : kept }
    }
}
