import Foundation

public struct RehearsalOptions: Sendable {
    public var change: RehearsalChange
    /// The profiles to rehearse on; empty: every profile with a snapshot.
    public var profiles: [ProfileName]
    public var keep: Bool
    /// Seconds between two samples of pg_locks.
    public var lockInterval: Double

    public init(change: RehearsalChange, profiles: [ProfileName], keep: Bool, lockInterval: Double = 0.05) {
        self.change = change
        self.profiles = profiles
        self.keep = keep
        self.lockInterval = lockInterval
    }
}

/// `dpm rehearse`: a change run on a clone of each profile's cached template, measured (time,
/// rows per table, locks, schema), the working database never touched.
public struct Rehearsal {
    let local: LocalDatabases
    let server: DatabaseServer & SQLSessions

    public init(local: LocalDatabases, server: DatabaseServer & SQLSessions) {
        self.local = local
        self.server = server
    }

    var names: LocalNames { local.names }

    public func run(_ options: RehearsalOptions) throws -> RehearsalReport {
        let lock = try local.lockAndRepair(recycling: false)
        defer { withExtendedLifetime(lock) {} }
        // Only a rehearsal holding this lock makes these names: a killed one left them.
        local.dropLeftovers(of: [Self.runningPurpose, Self.settledPurpose])
        try local.requireCreatePrivilege(for: "rehearse")
        // A template restored on first use loads with every core, as attach does.
        let loader = local.loader(ProcessInfo.processInfo.activeProcessorCount)
        let choices = try choose(options.profiles, loader: loader)
        if options.keep {
            for choice in choices where try server.databaseExists(keptName(choice)) {
                throw DPMError.conflict("The database \(keptName(choice)) (a kept rehearsal on \(choice.profile)) already exists; remove it with dpm detach \(keptName(choice)) first.")
            }
        }
        var reports: [ProfileRehearsal] = []
        for choice in choices {
            reports.append(try rehearse(options, on: choice, loader: loader))
        }
        return RehearsalReport(change: options.change.title, mode: options.change.mode, profiles: reports)
    }

    static let runningPurpose = "rehearse"
    static let settledPurpose = "rehearsed"

    func keptName(_ choice: SnapshotChoice) -> String { names.attached(profile: "rehearsed_" + choice.profile.value) }

    /// The named profiles (each must have a snapshot), or every profile that has one.
    private func choose(_ profiles: [ProfileName], loader: any SnapshotLoading) throws -> [SnapshotChoice] {
        let project = local.workspace.project
        if profiles.isEmpty {
            let all = project.profileNames().compactMap { try? ProfileName($0) }
            // A profile whose snapshot cannot be read (store unreachable, damaged record) is an error, not skipped.
            let choices = try all.filter { (try? hasSnapshot($0)) == true }.map { try loader.choose($0, id: nil) }
            guard !choices.isEmpty else {
                throw DPMError.notFound("No profile has a snapshot to rehearse on yet; upload one (dpm upload PROFILE) first.")
            }
            return choices
        }
        var seen: Set<String> = []
        return try profiles.filter { seen.insert($0.value).inserted }.map { name in
            guard try hasSnapshot(name) else {
                throw DPMError.notFound("The profile \(name) has no snapshot yet, so there is nothing to rehearse on; upload one with dpm upload \(name).")
            }
            return try loader.choose(name, id: nil)
        }
    }

    /// Whether `name` has content to clone: a pinned snapshot, or for clean profiles their files in git.
    private func hasSnapshot(_ name: ProfileName) throws -> Bool {
        let project = local.workspace.project
        let spec = try project.profile(name)
        if spec.kind == .clean { return FileManager.default.fileExists(atPath: "\(project.cleanBaseDirectory(name))/schema.sql") }
        return try project.manifest(name) != nil
    }

    private func rehearse(_ options: RehearsalOptions, on choice: SnapshotChoice, loader: any SnapshotLoading) throws -> ProfileRehearsal {
        let workspace = local.workspace
        let started = workspace.now()
        let templates = TemplateCache(local: local, loader: loader)
        let template = try templates.ensure(choice, catalog: try local.catalog()).template
        let scratch = names.building(Self.runningPurpose)
        workspace.progress.begin("cloning \(template.name) for the rehearsal on \(choice.profile)")
        try local.server.cloneDatabase(from: template.name, to: scratch)
        workspace.progress.end()
        try templates.touch(template)
        var current = scratch
        do {
            var report = try measure(options, on: choice, in: scratch, settled: &current)
            report.totalSeconds = workspace.now().timeIntervalSince(started)
            if !options.keep { local.dropIfPresent(current) }
            return report
        } catch {
            local.dropIfPresent(current)
            throw error
        }
    }

    /// Runs the change in `scratch` and measures it; `settled` is the database's name afterwards.
    private func measure(_ options: RehearsalOptions, on choice: SnapshotChoice, in scratch: String,
                         settled: inout String) throws -> ProfileRehearsal {
        let workspace = local.workspace
        // A transform's progress table is dpm's bookkeeping, not part of the change.
        let isTransform = options.change.isTransform
        let schemas = SchemaBeforeAfter(tools: server, leftOut: isTransform ? [TransformProgressTable.name] : [])
        let counters = RowCounters(query: server)
        let schemaBefore = try schemas.dump(scratch)
        let countsBefore = try counters.read(scratch)
        var cloneRows: Int64?
        if case .transform(_, _, let table) = options.change {
            cloneRows = try? server.query("SELECT count(*)::text FROM \(table)", parameters: [], in: scratch).first?.first?.flatMap { Int64($0) }
        }

        workspace.note("Rehearsing \(options.change.title) on \(choice.profile) (\(choice.key)) in \(scratch)…")
        let sampler = try LockSampler(sessions: server, database: scratch, interval: options.lockInterval)
        let began = ContinuousClock.now
        let outcome: ChangeRun.Outcome
        do {
            outcome = try ChangeRun(server: server, project: workspace.project, note: workspace.note).run(options.change, in: scratch)
        } catch {
            _ = try? sampler.stop()
            throw error
        }
        let took = ContinuousClock.now - began
        let samples = try sampler.stop()
        try workspace.checkpoint("rehearse.change-ran")

        // PostgreSQL renames a database only once no other session is connected to it (it
        // waits a few seconds for them to exit), and a session hands its statistics over as it
        // exits: after the rename, the counters hold everything the change did.
        let final = options.keep ? keptName(choice) : names.building(Self.settledPurpose)
        let label = DatabaseLabel(role: .attached, working: names.working, profile: choice.profile.value, snapshot: choice.key,
                                  kind: choice.kind, since: local.timestamp())
        do {
            try local.server.applyAtomically(options.keep
                ? [.rename(scratch, to: final), .comment(on: final, label.commentText)]
                : [.rename(scratch, to: final)]) { _ in }
        } catch let error as DPMError where error.kind == .inUse {
            throw error.rephrased("The change left sessions open on its scratch database \(scratch) (a process it started that still runs?), so dpm cannot read what it did; end them and rehearse again.")
        }
        settled = final

        let rows = RowCounters.changes(from: countsBefore, to: try counters.read(final))
            .filter { !isTransform || $0.table != TransformProgressTable.name }
        let locks = LockSummary.tables(samples, atCommit: outcome.locksAtCommit, interval: options.lockInterval,
                                       names: try relationNames(samples.flatMap(\.locks) + outcome.locksAtCommit, in: final))
        let diff = schemas.diff(before: schemaBefore, after: try schemas.dump(final), profile: choice.profile.value)
        var estimate: ProductionEstimate?
        if let result = outcome.transform, let cloneRows, cloneRows > 0, let snapshotRows = snapshotRows(of: result.table, in: choice) {
            estimate = ProductionEstimate(table: LockSummary.display(result.table), snapshotRows: snapshotRows, cloneRows: cloneRows,
                                          seconds: result.seconds * Double(snapshotRows) / Double(cloneRows))
        }
        return ProfileRehearsal(profile: choice.profile.value, snapshot: choice.key, database: final,
                                uri: options.keep ? local.connection.connectionURI(for: final) : nil, kept: options.keep,
                                seconds: Double(took.components.seconds) + Double(took.components.attoseconds) / 1e18,
                                totalSeconds: 0, failure: outcome.failure, rows: rows, locks: locks,
                                lockSamplingInterval: options.lockInterval, lockSamples: samples.count,
                                schemaDiff: diff, transform: outcome.transform, estimate: estimate)
    }

    /// Names of the relations the sampler saw by oid only (created inside the change's open transaction).
    private func relationNames(_ locks: [LockSampler.Held], in database: String) throws -> [String: String] {
        let unnamed = Set(locks.filter { $0.name.isEmpty }.map(\.oid))
        guard !unnamed.isEmpty else { return [:] }
        let rows = try server.query("""
            SELECT c.oid::text, n.nspname || '.' || c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE c.oid::text = ANY($1::text[])
            """, parameters: ["{" + unnamed.sorted().joined(separator: ",") + "}"], in: database)
        return Dictionary(rows.compactMap { row in row.count == 2 ? row[0].flatMap { oid in row[1].map { (oid, $0) } } : nil },
                          uniquingKeysWith: { first, _ in first })
    }

    /// The table's row count in the snapshot's record, when it has one.
    private func snapshotRows(of table: String, in choice: SnapshotChoice) -> Int64? {
        guard let data = choice.snapshot?.data else { return nil }
        let bare = LockSummary.display(table)
        return data.first { $0.table == table || $0.table.map(LockSummary.display) == bare }?.rows
    }
}
