import Foundation

/// `dpm squash`: folds the migrations every dataset has applied into the clean profile's
/// base schema, after proving in scratch databases that the new base with the remaining
/// files builds the same schema as the old base with every file.
public struct Squash {
    let workspace: Workspace
    let server: DatabaseServer

    public init(workspace: Workspace, server: DatabaseServer) {
        self.workspace = workspace
        self.server = server
    }

    var project: Project { workspace.project }

    /// Chooses, proves and composes the new base; writes nothing.
    public func prepare(from requestedSource: ProfileName?, into requestedTarget: ProfileName?, keepFiles: Bool) throws -> PreparedSquash {
        let started = workspace.now()
        let files = try squashableFiles()
        let target = try chooseTarget(requestedTarget)
        let source = try chooseSource(requestedSource)
        guard let snapshot = try project.manifest(source) else {
            throw DPMError.notFound("The profile \(source) has no snapshot yet, so there is no schema to squash into; run \"dpm upload \(source)\" from a database where the released migrations ran.")
        }
        let clean = CleanProfileFiles(project: project, server: server)
        let sourcePending = try pendingVersions(snapshot.migrations, files: files, of: "\(source) (snapshot \(snapshot.id))")
        let (datasets, compared) = try compareProfiles(files: files, source: source, snapshot: snapshot, sourcePending: sourcePending,
                                                       target: target, clean: clean)
        let selection = SquashSelection.choose(files: files, datasets: datasets)
        guard let last = selection.squashed.last else {
            let first = selection.kept[0]
            throw DPMError.conflict("Nothing to squash: the oldest migration, \(first.file.path), is \(first.reason), and a squash never folds in what a profile has not applied.")
        }
        let sourceSchema = try schemaAtSquashPoint(snapshot, files: files, sourcePending: sourcePending, squashed: selection.squashed)
        let proof = try prove(files: files, through: last, sourceSchema: sourceSchema, source: source, snapshot: snapshot,
                              target: target, clean: clean)
        let plan = makePlan(selection: selection, proof: proof, files: files, source: source, snapshot: snapshot, target: target,
                            compared: compared, clean: clean, fromSnapshot: sourceSchema != nil, keepFiles: keepFiles, started: started)
        let schemaData = Data(proof.schema.utf8)
        let newData = proof.data.map { Data($0.utf8) }
        let version = try server.serverVersion()
        let manifest = CleanProfileFiles.record(
            profile: target, schema: schemaData,
            data: newData ?? FileManager.default.contents(atPath: clean.dataPath(target)) ?? Data(), migrations: proof.baseStates, filters: TableFilters(),
            source: SnapshotSource(database: "\(source) snapshot \(snapshot.id)", serverVersion: version.text, serverVersionNumber: version.number),
            started: started, message: "squash of \(selection.squashed.count) migrations through \(last.version)", toolVersion: workspace.toolVersion)
        return PreparedSquash(plan: plan, schema: schemaData, data: newData, manifest: manifest)
    }

    /// The repository's migration files, which dpm's own runner must be able to replay.
    private func squashableFiles() throws -> [MigrationFile] {
        if project.config.migrationsCommand != nil {
            throw DPMError.invalidInput("dpm squash replays the SQL files of \(project.config.migrationsDir) with its own runner to prove the new base, so it cannot work with migrations.command set in dpm.yaml.")
        }
        let files = try MigrationFiles.load(project)
        guard !files.isEmpty else { throw DPMError.conflict("Nothing to squash: \(project.config.migrationsDir) has no migration files.") }
        return files
    }

    /// What each profile other than the target has applied: the source first, then every
    /// other profile with a snapshot (or clean base); profiles without one are listed, not counted.
    private func compareProfiles(files: [MigrationFile], source: ProfileName, snapshot: Snapshot, sourcePending: Set<String>,
                                 target: ProfileName, clean: CleanProfileFiles) throws
        -> ([SquashSelection.Dataset], [SquashPlan.ComparedProfile]) {
        var datasets = [SquashSelection.Dataset(name: source.value, pending: sourcePending)]
        var compared = [SquashPlan.ComparedProfile(name: source.value, snapshot: snapshot.id, note: "source")]
        for name in project.profileNames() where name != source.value && name != target.value {
            let profile = try ProfileName(name)
            let states: [MigrationState], key: String
            if try project.profile(profile).kind == .clean {
                key = try clean.contentKey(profile: profile)
                states = try MigrationReport.cleanStates(profile, project: project, server: server)
            } else if let pinned = try project.manifest(profile) {
                key = pinned.id
                states = pinned.migrations
            } else {
                compared.append(.init(name: name, snapshot: nil, note: "no snapshot yet; not counted"))
                continue
            }
            datasets.append(.init(name: name, pending: try pendingVersions(states, files: files, of: "\(name) (\(key))")))
            compared.append(.init(name: name, snapshot: key, note: nil))
        }
        return (datasets, compared)
    }

    /// The snapshot's schema is the base only when it sits exactly at the squash point; a
    /// source that ran later migrations too is ahead of it (nil: replay the migrations instead).
    private func schemaAtSquashPoint(_ snapshot: Snapshot, files: [MigrationFile], sourcePending: Set<String>,
                                     squashed: [MigrationFile]) throws -> String? {
        let appliedInSource = Set(files.map(\.version)).subtracting(sourcePending)
        guard appliedInSource == Set(squashed.map(\.version)) else { return nil }
        let transfer = try workspace.transfer()
        try transfer.requireObjectIDs(of: snapshot)
        return String(decoding: try transfer.fetchData(sha256: snapshot.schema.sha256, what: "the schema of snapshot \(snapshot.id)"),
                      as: UTF8.self)
    }

    /// Builds the new base and proves it in scratch databases. One squash at a time, and none
    /// while a switch renames databases beside the working one; a killed squash's scratch
    /// databases go first.
    private func prove(files: [MigrationFile], through last: MigrationFile, sourceSchema: String?, source: ProfileName,
                       snapshot: Snapshot, target: ProfileName, clean: CleanProfileFiles) throws -> SquashProof.Outcome {
        let local = try LocalDatabases(workspace: workspace, server: server)
        let lock = try local.lockProject()
        defer { withExtendedLifetime(lock) {} }
        local.dropLeftovers(of: SquashProof.scratchPurposes)
        return try SquashProof(workspace: workspace, server: server, schemaPath: clean.schemaPath(target), dataPath: clean.dataPath(target))
            .run(files: files, through: last, sourceSchema: sourceSchema, source: source,
                 header: header(target: target, source: source, snapshot: snapshot, through: last, fromSnapshot: sourceSchema != nil))
    }

    private func makePlan(selection: SquashSelection, proof: SquashProof.Outcome, files: [MigrationFile], source: ProfileName,
                          snapshot: Snapshot, target: ProfileName, compared: [SquashPlan.ComparedProfile], clean: CleanProfileFiles,
                          fromSnapshot: Bool, keepFiles: Bool, started: Date) -> SquashPlan {
        let removed = keepFiles ? [] : selection.squashed.flatMap { file -> [String] in
            let down = file.path.replacingOccurrences(of: #"(\.up)?\.sql$"#, with: ".down.sql", options: .regularExpression)
            return [file.path] + (down != file.path && FileManager.default.fileExists(atPath: project.path(down)) ? [down] : [])
        }
        let oldSchema = (try? String(contentsOfFile: clean.schemaPath(target), encoding: .utf8)) ?? ""
        let baseFolder = project.relative(project.cleanBaseDirectory(target))
        return SquashPlan(
            source: source.value, sourceSnapshot: snapshot.id, target: target.value, trackingTable: proof.trackingTable,
            trackingRowsInBase: proof.insertedTrackingRows, squashed: selection.squashed, kept: selection.kept, profiles: compared,
            schemaPath: project.relative(clean.schemaPath(target)), baseFrom: fromSnapshot ? "snapshot" : "migrations",
            schemaLinesBefore: Self.lineCount(oldSchema), schemaLinesAfter: Self.lineCount(proof.schema),
            dataFile: SquashPlan.DataFile(path: project.relative(clean.dataPath(target)), action: proof.dataAction, reason: proof.dataReason),
            proof: SquashPlan.Proof(oldBaseMigrations: files.count, newBaseMigrations: files.count - selection.squashed.count,
                                    schemaLines: Self.lineCount(proof.provedSchema), trackingRows: proof.trackingRowCount),
            removedFiles: removed, dryRun: true,
            review: "git status -- \(project.config.migrationsDir) \(baseFolder) profiles/\(target) && git diff -- \(baseFolder)",
            seconds: workspace.now().timeIntervalSince(started))
    }

    /// Writes the new base (and data.sql when it changed), the clean profile's manifest, then
    /// deletes the squashed files: an interruption before the deletes leaves files the base
    /// already records, which every runner skips.
    public func apply(_ prepared: PreparedSquash) throws -> SquashPlan {
        let target = try ProfileName(prepared.plan.target)
        let clean = CleanProfileFiles(project: project, server: server)
        let lock = try LocalDatabases(workspace: workspace, server: server).lockProject()
        defer { withExtendedLifetime(lock) {} }
        try AtomicFile.write(prepared.schema, to: clean.schemaPath(target))
        if let data = prepared.data { try AtomicFile.write(data, to: clean.dataPath(target)) }
        try project.writeManifest(prepared.manifest, for: target)
        try workspace.checkpoint("squash.before-deletes")
        for path in prepared.plan.removedFiles { try FileManager.default.removeItem(atPath: project.path(path)) }
        var plan = prepared.plan
        plan.dryRun = false
        return plan
    }

    /// The clean profile whose base is rewritten: the one asked for, clean-db, or the only one.
    private func chooseTarget(_ requested: ProfileName?) throws -> ProfileName {
        if let requested {
            guard try project.profile(requested).kind == .clean else {
                throw DPMError.invalidInput("--into names the clean profile whose base schema squash rewrites; \(requested) is not of kind clean.")
            }
            return requested
        }
        let cleans = try project.profileNames().filter { try project.profile(ProfileName($0)).kind == .clean }
        if cleans.contains("clean-db") { return try ProfileName("clean-db") }
        guard cleans.count == 1 else {
            throw DPMError.invalidInput(cleans.isEmpty
                ? "dpm squash rewrites the base schema of a clean profile, and this project has none; create one with \"dpm profile create clean-db --kind clean\"."
                : "This project has several clean profiles (\(cleans.joined(separator: ", "))); name the one to rewrite with --into.")
        }
        return try ProfileName(cleans[0])
    }

    /// The production-like profile: the one asked for, or the only profile of kind shared.
    private func chooseSource(_ requested: ProfileName?) throws -> ProfileName {
        if let requested {
            guard try project.profile(requested).kind != .clean else {
                throw DPMError.invalidInput("The source of a squash is a dataset with a snapshot in the store (a production-like copy); \(requested) is a clean profile.")
            }
            return requested
        }
        let shared = try project.profileNames().filter { try project.profile(ProfileName($0)).kind == .shared }
        guard shared.count == 1 else {
            throw DPMError.invalidInput("Name the source profile with --from: a production-like dataset where the released migrations ran"
                           + (shared.isEmpty ? "." : " (profiles of kind shared: " + shared.joined(separator: ", ") + ")."))
        }
        return try ProfileName(shared[0])
    }

    private func pendingVersions(_ states: [MigrationState], files: [MigrationFile], of what: String) throws -> Set<String> {
        let comparison = MigrationComparison.compare(states, files: files, preferred: project.config.migrationsTable)
        guard let pending = comparison.pending else {
            throw DPMError.conflict("dpm cannot tell which migration files \(what) has applied: its \(comparison.table ?? "tracking") table (\(comparison.tool ?? "another tool")) does not record file versions.")
        }
        return Set(pending.map(\.version))
    }

    private func header(target: ProfileName, source: ProfileName, snapshot: Snapshot, through last: MigrationFile, fromSnapshot: Bool) -> String {
        let origin = fromSnapshot
            ? "the schema of \(source) snapshot \(snapshot.id)"
            : "the previous base with the migrations through \(last.version) replayed"
        return """
            -- Base schema of \(target), written by dpm squash from \(origin).
            -- It includes every migration through \(last.version) (their tracking rows end the part above
            -- the "\(CleanSchemaLayout.postDataMarker)" line, which loads before data.sql);
            -- seed data lives in data.sql. dpm proved that this base with the remaining migration
            -- files builds the same schema as the previous base with all of them.

            """
    }

    static func lineCount(_ text: String) -> Int { text.reduce(0) { $1 == "\n" ? $0 + 1 : $0 } }
}
