import Foundation

/// The snapshots `dpm verify` checks: every one a manifest of the project pins (by default),
/// the pinned ones of the profiles named, the one `PROFILE@SNAPSHOT|TAG` names, or every record
/// in the store (`--all`, or every record of the profiles named with `--all`). Records are read
/// from the store itself, never from the download cache: they are part of what is verified.
struct VerifySelection {
    var snapshots: [Snapshot] = []
    /// The snapshots a manifest pins, among them.
    var pinned: Set<SnapshotName> = []
    /// Records (or manifests) that could not be read.
    var unreadable: [SnapshotProblem] = []

    /// One argument: `PROFILE` or `PROFILE@SNAPSHOT|TAG`.
    struct Target: Equatable {
        let profile: ProfileName
        let reference: String?

        init(_ text: String) throws {
            let parts = text.split(separator: "@", maxSplits: 1, omittingEmptySubsequences: false)
            profile = try ProfileName(String(parts[0]))
            reference = parts.count == 2 ? String(parts[1]) : nil
            if let reference, reference.isEmpty {
                throw DPMError.invalidInput("\"\(text)\" names no snapshot after the @; give PROFILE, or PROFILE@SNAPSHOT (an id, its unique beginning, or a tag).")
            }
        }
    }

    /// Snapshots to read: a pinned one comes with the manifest that pins it.
    private struct Wanted: Sendable {
        let profile: ProfileName
        let id: String
        let manifest: Snapshot?
    }

    /// Refuses (one sentence, nothing read beyond the project and the store's listing) an
    /// unknown profile, a clean one, a profile named without a pinned snapshot, a reference
    /// that resolves to nothing, and a choice that names no snapshot at all.
    static func resolve(_ arguments: [String], all: Bool, project: Project, store: ObjectStore,
                        records: [StoreRecords.Key], width: Int) throws -> VerifySelection {
        let targets = try arguments.map(Target.init)
        for target in targets {
            let spec = try project.profile(target.profile)
            if spec.kind == .clean {
                throw DPMError.invalidInput("The clean profile \(target.profile) lives in git, not in the store, so there is nothing of it to verify.")
            }
            if all, target.reference != nil {
                throw DPMError.invalidInput("--all verifies every snapshot of the profiles given, and \"\(target.profile)@\(target.reference!)\" names one; give the profile alone, or leave out --all.")
            }
        }
        let catalog = SnapshotCatalog(store: store, project: project)
        var selection = VerifySelection()
        var wanted: [Wanted] = []
        var pinnedIDs: [String: String] = [:]
        let profiles = targets.isEmpty ? project.profileNames().compactMap { try? ProfileName($0) } : targets.map(\.profile)
        for profile in Set(profiles).sorted() {
            do {
                if let manifest = try project.manifest(profile), manifest.inGit != true {
                    pinnedIDs[profile.value] = manifest.id
                    if !all, targets.isEmpty || targets.contains(where: { $0.profile == profile && $0.reference == nil }) {
                        wanted.append(Wanted(profile: profile, id: manifest.id, manifest: manifest))
                    }
                }
            } catch let error as DPMError where error.kind == .corrupt {
                // Only a manifest whose snapshot is to be checked is worth a problem.
                if !all { selection.unreadable.append(SnapshotProblem(profile: profile.value, id: nil, reason: error.message)) }
            }
        }
        for target in targets where target.reference == nil && !all && pinnedIDs[target.profile.value] == nil
            && !selection.unreadable.contains(where: { $0.profile == target.profile.value }) {
            throw DPMError.invalidInput("The profile \(target.profile) pins no snapshot (profiles/\(target.profile)/manifest.json does not exist); upload one with \"dpm upload \(target.profile)\", or name one: dpm verify \(target.profile)@SNAPSHOT.")
        }
        if all {
            let named = Set(targets.map(\.profile))
            let chosen = records.filter { named.isEmpty || named.contains($0.profile) }
            for profile in named.sorted() where !chosen.contains(where: { $0.profile == profile }) {
                throw DPMError.notFound("The store \(store.displayName) has no snapshots of \(profile); upload one with \"dpm upload \(profile)\".")
            }
            wanted = chosen.map { Wanted(profile: $0.profile, id: $0.id, manifest: nil) }
        }
        for target in targets {
            guard let reference = target.reference else { continue }
            let snapshot = try SnapshotResolver(catalog: catalog, profile: target.profile).resolve(reference).snapshot
            selection.snapshots.append(snapshot)
        }
        if wanted.isEmpty, selection.snapshots.isEmpty, selection.unreadable.isEmpty {
            throw DPMError.notFound("No profile of this project pins a snapshot in its manifest; name one (dpm verify PROFILE@SNAPSHOT), or verify every snapshot in the store with dpm verify --all.")
        }
        try selection.read(wanted, catalog: catalog, width: width)
        selection.pinned = Set(selection.snapshots.filter { pinnedIDs[$0.profile] == $0.id }.map { SnapshotName(profile: $0.profile, id: $0.id) })
        var seen = Set<SnapshotName>()
        selection.snapshots = selection.snapshots.sorted { ($0.profile, $0.id) < ($1.profile, $1.id) }.filter {
            seen.insert(SnapshotName(profile: $0.profile, id: $0.id)).inserted
        }
        return selection
    }

    /// Reads the wanted records in parallel. A pinned snapshot without a record, a record that
    /// is not one dpm wrote, and a manifest that differs from its record are problems; a record
    /// listed but gone when read was removed meanwhile (`dpm prune`) and is left out.
    private mutating func read(_ wanted: [Wanted], catalog: SnapshotCatalog, width: Int) throws {
        let found = Locked([Snapshot]())
        let problems = Locked([SnapshotProblem]())
        let store = catalog.store.displayName
        try concurrentForEach(wanted, width: width) { item in
            let problem = { (reason: String) in problems.withValue { $0.append(SnapshotProblem(profile: item.profile.value, id: item.id, reason: reason)) } }
            do {
                guard let record = try catalog.record(of: item.profile, id: item.id) else {
                    if item.manifest != nil {
                        problem("profiles/\(item.profile)/manifest.json pins snapshot \(item.id), which the store \(store) does not have.")
                    }
                    return
                }
                if let manifest = item.manifest, manifest != record {
                    problem("profiles/\(item.profile)/manifest.json does not match the store's record of snapshot \(item.id) (changed by hand or by a merge?); the record's objects were checked.")
                }
                found.withValue { $0.append(record) }
            } catch let error as DPMError where error.kind == .corrupt {
                problem(error.message)
            }
        }
        snapshots += found.current
        unreadable += problems.current
    }
}
