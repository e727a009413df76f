import Foundation

public struct MigrateResult: Codable, Sendable {
    public var database: String
    /// The tracking table the built-in runner recorded into; nil for an external command.
    public var table: String?
    public var command: String?
    /// What was applied (or, with --dry-run, would be).
    public var applied: [MigrationFile]
    public var dryRun: Bool
    public var seconds: Double
    /// What the output should say about how files ran (those without a wrapping transaction).
    public var notes: [String] = []
}

/// Brings a database up to the repository's migrations: with the project's own tool
/// (`migrations.command`) or dpm's runner, which applies `<version>_<name>.sql` files in
/// order, each in its own transaction together with the row that records it.
public struct Migrations {
    let project: Project
    let server: DatabaseServer
    let now: @Sendable () -> Date

    public init(project: Project, server: DatabaseServer, now: @escaping @Sendable () -> Date = { Date() }) {
        self.project = project
        self.server = server
        self.now = now
    }

    public func files() throws -> [MigrationFile] { try MigrationFiles.load(project) }

    /// Compares `database` with the migration files (read from the folder when not given).
    public func comparison(in database: String, files given: [MigrationFile]? = nil) throws -> MigrationComparison {
        let files = try given ?? files()
        return MigrationComparison.compare(try MigrationDetector.detect(in: database, on: server), files: files,
                                           preferred: project.config.migrationsTable)
    }

    /// Applies the pending migrations (up to and including version `target`, when given).
    public func migrate(database: String, dryRun: Bool, upTo target: String? = nil) throws -> MigrateResult {
        let started = now()
        guard try server.databaseExists(database) else {
            throw DPMError.notFound("The database \(database) does not exist; \"dpm use <profile>\" or \"dpm restore <profile>\" creates it.")
        }
        let files = try files(upTo: target)
        let states = try MigrationDetector.detect(in: database, on: server)
        if let command = project.config.migrationsCommand {
            let pending = MigrationComparison.compare(states, files: files, preferred: project.config.migrationsTable).pending ?? []
            let applied = dryRun ? pending : try runProjectTool(command, on: database, pending: pending)
            return MigrateResult(database: database, table: nil, command: command, applied: applied, dryRun: dryRun,
                                 seconds: now().timeIntervalSince(started))
        }

        let table = try trackingTable(states)
        let pending = MigrationComparison.compare(states.filter { $0.table == table }, files: files, preferred: table).pending ?? []
        let scripts = try readScripts(pending)
        var applied: [MigrationFile] = [], notes: [String] = []
        if dryRun {
            for case let (file, .noTransaction(reason)) in zip(pending, scripts.map(\.mode)) {
                notes.append("\(file.path) would run without a wrapping transaction (\(reason)).")
            }
        } else {
            if !states.contains(where: { $0.table == table }) {
                let columns = table == MigrationDetector.dpmTable
                    ? "version text PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now()"
                    : "version text PRIMARY KEY"
                _ = try server.query("CREATE TABLE IF NOT EXISTS \(table) (\(columns))", parameters: [], in: database)
            }
            for (file, script) in zip(pending, scripts) {
                if let note = try apply(file, script, recordingIn: table, on: database, appliedBefore: applied.count) { notes.append(note) }
                applied.append(file)
            }
        }
        return MigrateResult(database: database, table: table, command: nil, applied: dryRun ? pending : applied, dryRun: dryRun,
                             seconds: now().timeIntervalSince(started), notes: notes)
    }

    /// The migration files, up to and including version `target` when given (dpm's own runner only).
    private func files(upTo target: String?) throws -> [MigrationFile] {
        let files = try files()
        guard let target else { return files }
        guard files.contains(where: { $0.version == target }) else {
            throw DPMError.invalidInput("No migration file in \(project.config.migrationsDir) has the version \(target) given to --to.")
        }
        if project.config.migrationsCommand != nil {
            throw DPMError.invalidInput("--to works with dpm's own runner only; migrations.command runs the project's tool, which decides what it applies.")
        }
        return files.filter { !MigrationVersion.less(target, $0.version) }
    }

    /// Runs the project's own tool (`migrations.command`); what it applied is what was pending before and is not after.
    private func runProjectTool(_ command: String, on database: String, pending: [MigrationFile]) throws -> [MigrationFile] {
        try server.runCommand(command, for: database, in: project.root)
        let remaining = Set((try comparison(in: database).pending ?? []).map(\.version))
        return pending.filter { !remaining.contains($0.version) }
    }

    /// Every file is read before the first runs: one that would be cut short is refused
    /// while nothing has changed.
    private func readScripts(_ pending: [MigrationFile]) throws -> [MigrationScript] {
        try pending.map { file in
            let script = try MigrationScript.read(project.path(file.path), relative: file.path)
            if let open = script.unclosedBegin {
                throw DPMError.invalidInput("The migration \(file.path) opens a transaction at line \(open.startLine) (\(open.summary)) that it never ends, so psql would silently roll back what follows when the file ends; add a COMMIT (nothing was applied).")
            }
            return script
        }
    }

    /// Applies one file with the row that records it: in one transaction, or, for a file that
    /// cannot run in one, statement by statement. Returns the note a run without a transaction gets.
    private func apply(_ file: MigrationFile, _ script: MigrationScript, recordingIn table: String, on database: String,
                       appliedBefore: Int) throws -> String? {
        let record = table == MigrationDetector.dpmTable
            ? "INSERT INTO \(table) (version, name) VALUES ('\(file.version)', '\(file.name.replacingOccurrences(of: "'", with: "''"))')"
            : "INSERT INTO \(table) (version) VALUES ('\(file.version)')"
        switch script.mode {
        case .transaction:
            do {
                try server.applyMigration(project.path(file.path), record: record, in: database)
            } catch {
                let before = appliedBefore == 0 ? "nothing before it was applied" : "the \(appliedBefore) before it stay applied"
                let failure = DPMError(reporting: error)
                let problem = failure.message.trimmingCharacters(in: CharacterSet(charactersIn: "."))
                let hint = failure.tool?.script?.causes.contains(.needsNoTransaction) == true
                    ? "; to run it without one, add the line \"\(MigrationScript.noTransactionMarker)\" to the file" : ""
                throw failure.rephrased("The migration \(file.path) failed and was rolled back (\(before)): \(problem)\(hint).")
            }
            return nil
        case .noTransaction(let reason):
            try NoTransactionRun(server: server, file: file, script: script, reason: reason, appliedBefore: appliedBefore)
                .run(path: project.path(file.path), record: record, in: database)
            return "\(file.path) ran without a wrapping transaction (\(reason))."
        }
    }

    /// The table dpm's runner records into: the configured one, the Rails-style
    /// schema_migrations if present, or dpm_migrations. Another tool's table is refused.
    func trackingTable(_ states: [MigrationState]) throws -> String {
        let table = project.config.migrationsTable
            ?? states.first { $0.table == "schema_migrations" || $0.table == MigrationDetector.dpmTable }?.table
            ?? states.first?.table
            ?? MigrationDetector.dpmTable
        if let state = states.first(where: { $0.table == table }), !["rails/dbmate", "dpm"].contains(state.tool ?? "") {
            throw DPMError.invalidInput("The tracking table \(table) belongs to \(state.tool ?? "another tool"); set migrations.command in dpm.yaml to run that tool (dpm's own runner records only into schema_migrations (version) or \(MigrationDetector.dpmTable)).")
        }
        return table
    }
}
