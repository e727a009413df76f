import Foundation

/// `dpm diff A B`: resolves both sides (every refusal before anything is read), reads what
/// each holds, and compares schema, tables, media and migrations. Reads only; the one thing
/// it may write is the download cache.
public struct SnapshotDiff {
    let workspace: Workspace
    /// Needed only when a side is `--working`.
    let server: (any WorkingDatabaseReader)?
    let jobs: Int

    public init(workspace: Workspace, server: (any WorkingDatabaseReader)?, jobs: Int = ProcessInfo.processInfo.activeProcessorCount) {
        self.workspace = workspace
        self.server = server
        self.jobs = max(1, jobs)
    }

    public func compare(_ before: DiffSide, _ after: DiffSide) throws -> DiffReport {
        let sides = (try resolve(before), try resolve(after))
        try Self.requireOneKindOfID(sides.0, sides.1)
        let working = try workingReader(if: [before, after].contains(.working))
        try working?.requireDatabase()
        let transfer = try workspace.transfer()
        for case let .snapshot(resolved, _) in [sides.0, sides.1] {
            try transfer.requireObjectIDs(of: resolved.snapshot)
        }
        // The working side is read through the other side's filters: both are snapshots otherwise.
        let filters = [sides.0, sides.1].lazy.compactMap(\.snapshot).first?.filters ?? TableFilters()
        let contents = try [sides.0, sides.1].map { side in
            switch side {
            case let .snapshot(resolved, written): return try DiffContents.of(resolved, side: written, transfer: transfer)
            case .working:
                guard let working else { throw DPMError.internal("dpm diff --working was given no database to read.") }
                return try working.read(filters: filters, transfer: transfer)
            }
        }
        return Self.report(contents[0], contents[1], comparedBy: transfer.sealing == nil ? "sha256" : ObjectSealing.idKind)
    }

    static func report(_ before: DiffContents, _ after: DiffContents, comparedBy: String) -> DiffReport {
        let media: MediaDiff
        if let old = before.media, let new = after.media {
            media = DiffComparison.media(old, new)
        } else {
            media = .notCompared([before.noMedia, after.noMedia].compactMap { $0 }.joined(separator: "; "))
        }
        return DiffReport(
            before: before.summary, after: after.summary,
            schema: SchemaDifference(before: before.schema, after: after.schema, beforeLabel: before.summary.label, afterLabel: after.summary.label),
            tables: DiffComparison.tables(before.tables, after.tables, comparedBy: comparedBy),
            media: media,
            migrations: DiffComparison.migrations(before.migrations, after.migrations))
    }

    /// A side resolved to what it names.
    enum Resolved {
        case snapshot(ResolvedSnapshot, DiffSide)
        case working

        var snapshot: Snapshot? {
            if case let .snapshot(resolved, _) = self { return resolved.snapshot }
            return nil
        }
    }

    private func resolve(_ side: DiffSide) throws -> Resolved {
        guard let profile = side.profile else { return .working }
        let spec = try workspace.project.profile(profile)
        guard spec.kind != .clean else {
            throw DPMError.invalidInput("The clean profile \(profile) lives in git, not in the store, so it has no snapshots to compare; compare its files with git diff -- db/migration-base/\(profile).")
        }
        let catalog = SnapshotCatalog(store: workspace.store, project: workspace.project, cache: workspace.cache)
        let resolved: ResolvedSnapshot
        switch side {
        case .pinned: resolved = ResolvedSnapshot(snapshot: try catalog.snapshot(of: profile, id: nil), tag: nil)
        case .snapshot(_, let reference): resolved = try SnapshotResolver(catalog: catalog, profile: profile).resolve(reference)
        case .working: return .working
        }
        guard resolved.snapshot.compression == workspace.codec.name else {
            throw DPMError.invalidInput("Snapshot \(resolved.snapshot.id) of \(profile) is compressed with \(resolved.snapshot.compression), which this dpm cannot read (it uses \(workspace.codec.name)).")
        }
        return .snapshot(resolved, side)
    }

    /// Ids of one kind name equal contents by equal ids; ids of two kinds (a plaintext store's
    /// SHA-256 and an encrypted store's keyed HMAC) never match, so every table would read as changed.
    static func requireOneKindOfID(_ a: Resolved, _ b: Resolved) throws {
        guard let first = a.snapshot, let second = b.snapshot, first.objectIDs != second.objectIDs else { return }
        func kind(_ snapshot: Snapshot) -> String {
            snapshot.objectIDs.map { "\($0) ids (an encrypted store's)" } ?? "SHA-256 ids (a plaintext store's)"
        }
        throw DPMError.invalidInput("Snapshot \(first.id) of \(first.profile) names its objects by \(kind(first)) and snapshot \(second.id) of \(second.profile) by \(kind(second)), so their tables and media cannot be compared: they come from two different kinds of store; compare snapshots of one store.")
    }

    private func workingReader(if needed: Bool) throws -> WorkingContents? {
        guard needed else { return nil }
        guard let server else { throw DPMError.internal("dpm diff --working was given no database to read.") }
        return WorkingContents(workspace: workspace, server: server, jobs: jobs)
    }
}
