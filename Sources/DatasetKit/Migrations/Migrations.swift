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
        var files = try files()
        if let target {
            guard files.contains(where: { $0.version == target }) else {
                throw DPMError.invalidInput("No migration file in \(project.config.migrationsDir) has the version \(target) given to --to.")
            }
            if project.config.migrationsCommand != nil {
                throw DPMError.invalidInput("--to works with dpm's own runner only; migrations.command runs the project's tool, which decides what it applies.")
            }
            files = files.filter { !MigrationVersion.less(target, $0.version) }
        }
        let states = try MigrationDetector.detect(in: database, on: server)
        let before = MigrationComparison.compare(states, files: files, preferred: project.config.migrationsTable)
        if let command = project.config.migrationsCommand {
            if dryRun {
                return MigrateResult(database: database, table: nil, command: command, applied: before.pending ?? [], dryRun: true,
                                     seconds: now().timeIntervalSince(started))
            }
            try server.runCommand(command, for: database, in: project.root)
            let after = try comparison(in: database)
            let remaining = Set((after.pending ?? []).map(\.version))
            return MigrateResult(database: database, table: nil, command: command,
                                 applied: (before.pending ?? []).filter { !remaining.contains($0.version) }, dryRun: false,
                                 seconds: now().timeIntervalSince(started))
        }

        let table = try trackingTable(states)
        let pending = MigrationComparison.compare(states.filter { $0.table == table }, files: files, preferred: table).pending ?? []
        var applied: [MigrationFile] = [], notes: [String] = []
        // Every file is read before the first runs: one that would be cut short is refused
        // while nothing has changed.
        let scripts = try pending.map { file in
            let script = try MigrationScript.read(project.path(file.path), relative: file.path)
            if let open = script.unclosedBegin {
                throw DPMError.invalidInput("The migration \(file.path) opens a transaction at line \(open.startLine) (\(open.summary)) that it never ends, so psql would silently roll back what follows when the file ends; add a COMMIT (nothing was applied).")
            }
            return script
        }
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
                let record = table == MigrationDetector.dpmTable
                    ? "INSERT INTO \(table) (version, name) VALUES ('\(file.version)', '\(file.name.replacingOccurrences(of: "'", with: "''"))')"
                    : "INSERT INTO \(table) (version) VALUES ('\(file.version)')"
                let before = applied.isEmpty ? "nothing before it was applied" : "the \(applied.count) before it stay applied"
                switch script.mode {
                case .transaction:
                    do {
                        try server.applyMigration(project.path(file.path), record: record, in: database)
                    } catch {
                        let failure = DPMError(reporting: error)
                        let problem = failure.message.trimmingCharacters(in: CharacterSet(charactersIn: "."))
                        let hint = failure.tool?.script?.causes.contains(.needsNoTransaction) == true
                            ? "; to run it without one, add the line \"\(MigrationScript.noTransactionMarker)\" to the file" : ""
                        throw failure.rephrased("The migration \(file.path) failed and was rolled back (\(before)): \(problem)\(hint).")
                    }
                case .noTransaction(let reason):
                    try NoTransactionRun(server: server, file: file, script: script, reason: reason, appliedBefore: applied.count)
                        .run(path: project.path(file.path), record: record, in: database)
                    notes.append("\(file.path) ran without a wrapping transaction (\(reason)).")
                }
                applied.append(file)
            }
        }
        return MigrateResult(database: database, table: table, command: nil, applied: dryRun ? pending : applied, dryRun: dryRun,
                             seconds: now().timeIntervalSince(started), notes: notes)
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
