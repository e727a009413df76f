import Foundation

/// The scratch-database work of a squash. A is the old base with every migration file
/// replayed; on the way, at the squash point, it yields the schema, tracking rows and seed
/// data the new base needs. B is the new base (and data.sql) with the remaining files. The
/// squash stands only when A and B dump the same normalized schema and tracking rows.
struct SquashProof {
    let workspace: Workspace
    let server: DatabaseServer
    let schemaPath: String
    let dataPath: String

    /// The purposes in scratch database names (`<db>__dpm_<purpose>_<8 hex>`).
    static let scratchPurposes = ["squash_a", "squash_b"]

    struct Outcome {
        /// The new schema.sql.
        var schema: String
        /// The new data.sql; nil when the current one stays.
        var data: String?
        var dataAction: String
        var dataReason: String?
        var trackingTable: String
        /// The normalized schema A and B both have.
        var provedSchema: String
        var trackingRowCount: Int
        /// The rows of the tracking table the new schema.sql inserts (data.sql may hold the rest).
        var insertedTrackingRows: Int
        /// The tracking state of the new base, for the clean profile's manifest.
        var baseStates: [MigrationState]
    }

    /// What B yields, or why its base does not hold the seed data the migrations leave.
    private enum BaseCheck {
        case built(schema: String, rows: [String], states: [MigrationState])
        case seedProblem(String)
    }

    private var project: Project { workspace.project }

    func run(files: [MigrationFile], through last: MigrationFile, sourceSchema: String?, source: ProfileName,
             header: String) throws -> Outcome {
        guard FileManager.default.fileExists(atPath: schemaPath) else {
            throw DPMError.notFound("There is no \(project.relative(schemaPath)) to squash into; run \"dpm upload\" of the clean profile from a database with the base schema first.")
        }
        let hasData = FileManager.default.fileExists(atPath: dataPath)
        let migrations = Migrations(project: project, server: server)
        let remaining = files.filter { MigrationVersion.less(last.version, $0.version) }.count
        defer { workspace.progress.end() }
        return try workspace.withScratchDirectory("squash") { folder in
            workspace.progress.begin("building A in a scratch database: the old base and \(files.count) migration\(files.count == 1 ? "" : "s")")
            let a = try buildOldBase(through: last, sourceSchema: sourceSchema, hasData: hasData, folder: folder, migrations: migrations)
            workspace.progress.begin("building B in a scratch database: the new base and \(remaining) migration\(remaining == 1 ? "" : "s")")
            let b = try buildNewBase(from: a, through: last, header: header, hasData: hasData, folder: folder, migrations: migrations)
            workspace.progress.end()
            try requireSameResult(a, b, labelA: "A: old base + \(files.count) migration\(files.count == 1 ? "" : "s")",
                                  labelB: "B: new base + \(remaining) migration\(remaining == 1 ? "" : "s")",
                                  fromSnapshot: sourceSchema != nil, source: source)
            return Outcome(schema: b.schema, data: b.data, dataAction: b.dataAction, dataReason: b.dataReason,
                           trackingTable: a.tracking.qualifiedName, provedSchema: a.schema, trackingRowCount: a.rows.count,
                           insertedTrackingRows: b.insertedRows, baseStates: b.states)
        }
    }

    /// What A, the old base with every migration, yields on the way.
    private struct OldBase {
        var tracking: TrackingRows
        /// Tracking rows the old data.sql (not schema.sql) inserts.
        var rowsOfData: Set<String>
        /// The tracking rows at the squash point.
        var squashedRows: [String]
        /// The seed data at the squash point.
        var seed: String
        /// The new base's pre-data and post-data parts.
        var base: (preData: String, postData: String)
        /// The schema and tracking rows after every migration.
        var schema: String
        var rows: [String]
    }

    /// B: the new base with the remaining migrations, and the files that build it.
    private struct NewBase {
        var schema: String
        var data: String?
        var dataAction: String
        var dataReason: String?
        var insertedRows: Int
        /// What B dumps after the remaining migrations.
        var provedSchema: String
        var rows: [String]
        var states: [MigrationState]
    }

    /// A: the old base, replayed to the squash point (where the new base is taken: the
    /// source's schema, or A's own), then to the end.
    private func buildOldBase(through last: MigrationFile, sourceSchema: String?, hasData: Bool, folder: String,
                              migrations: Migrations) throws -> OldBase {
        try server.withScratchDatabase("squash_a") { a in
            var table = "", rowsOfSchema: [String] = []
            try loadBase(into: a, data: hasData) {
                try workspace.checkpoint("squash.proof")
                table = try migrations.trackingTable(MigrationDetector.detect(in: a, on: server))
                rowsOfSchema = try TrackingRows.find(table, in: a, on: server)?.rows(in: a, on: server) ?? []
            }
            let rowsOfBase = try TrackingRows.find(table, in: a, on: server)?.rows(in: a, on: server) ?? []
            try replay(migrations, in: a, through: last.version, what: "A, the old base and the migrations through \(last.version)")
            guard let tracking = try TrackingRows.find(table, in: a, on: server) else {
                throw DPMError.invalidInput("The migrations through \(last.version) leave no \(table) table to record them in, so the new base could not say they are applied.")
            }
            let squashedRows = try tracking.rows(in: a, on: server)
            let seed = SchemaNormalizer.normalize(try server.dumpDataSQL(of: a, filters: TableFilters(excludeData: [tracking.qualifiedName])))
            // The new base has the shape of every clean profile: pre-data, data, post-data.
            let base: (preData: String, postData: String)
            if let sourceSchema {
                base = CleanSchemaLayout.sections(ofSchemaDump: sourceSchema)
            } else {
                try createFolder("\(folder)/base", purpose: "a scratch folder", permissions: 0o700)
                let parts = try CleanProfileFiles(project: project, server: server)
                    .sections(of: a, filters: TableFilters(), folder: "\(folder)/base")
                base = (parts.preData, parts.postData)
            }
            try replay(migrations, in: a, through: nil, what: "A, the old base and every migration")
            return OldBase(tracking: tracking, rowsOfData: Set(rowsOfBase).subtracting(rowsOfSchema), squashedRows: squashedRows,
                           seed: seed, base: base, schema: SchemaNormalizer.normalize(try server.dumpSchema(of: a, filters: TableFilters())),
                           rows: try tracking.rows(in: a, on: server))
        }
    }

    /// B: first with data.sql as it is; if that does not give the seed data the squashed
    /// migrations leave, with data.sql rewritten from A at the squash point.
    private func buildNewBase(from a: OldBase, through last: MigrationFile, header: String, hasData: Bool, folder: String,
                              migrations: Migrations) throws -> NewBase {
        func compose(_ rows: [String]) -> String {
            CleanSchemaLayout.compose(preData: header + a.base.preData + "\n" + a.tracking.section(rows, squashedThrough: last.version),
                                      postData: a.base.postData)
        }
        var inserted = a.squashedRows.filter { !a.rowsOfData.contains($0) }
        var schema = compose(inserted)
        var data: String?
        var action = hasData ? "kept" : "none", reason: String?
        var check = try checkBase(schema: schema, data: hasData ? dataPath : nil, folder: folder, tracking: a.tracking,
                                  expectedSeed: DataDump(a.seed), expectedRows: a.squashedRows, migrations: migrations)
        if case let .seedProblem(problem) = check {
            inserted = a.squashedRows
            schema = compose(inserted)
            data = a.seed
            action = "rewritten"
            reason = problem
            let path = "\(folder)/data.sql"
            try Data(a.seed.utf8).write(to: URL(fileURLWithPath: path))
            check = try checkBase(schema: schema, data: path, folder: folder, tracking: a.tracking,
                                  expectedSeed: DataDump(a.seed), expectedRows: a.squashedRows, migrations: migrations)
            if case let .seedProblem(problem) = check {
                throw DPMError.invalidInput("The seed data dumped from the migrated old base does not load on the new base either (\(problem)); nothing was written.")
            }
        }
        guard case let .built(schemaB, rowsB, states) = check else { preconditionFailure("checked above") }
        return NewBase(schema: schema, data: data, dataAction: action, dataReason: reason, insertedRows: inserted.count,
                       provedSchema: schemaB, rows: rowsB, states: states)
    }

    /// The squash stands only when A and B dump the same schema and tracking rows.
    private func requireSameResult(_ a: OldBase, _ b: NewBase, labelA: String, labelB: String, fromSnapshot: Bool,
                                   source: ProfileName) throws {
        if a.schema != b.provedSchema {
            let diff = LineDiff.unified(from: a.schema, to: b.provedSchema, fromLabel: labelA, toLabel: labelB)
            let changed = diff.split(separator: "\n").filter { ($0.hasPrefix("+") || $0.hasPrefix("-")) && !$0.hasPrefix("+++") && !$0.hasPrefix("---") }.count
            // The lines say where the difference is; the next step depends on where B's came from.
            let next = fromSnapshot
                ? "the new base is \(source)'s schema, so production has changes no migration makes (+ lines) or lacks ones they make (- lines): write a migration for them (or undo them in production), upload \(source) again and run dpm squash again"
                : "the remaining migrations build something else on the new base than on the old one (one that depends on data or on the time, or a file edited since it ran): fix that migration so that it builds the same on both, then run dpm squash again"
            throw DPMError.invalidInput("The new base does not reproduce the schema: \(labelA) and \(labelB) differ in \(changed) line\(changed == 1 ? "" : "s") (diff above); nothing was written; \(next).",
                           details: diff)
        }
        if a.rows != b.rows {
            let diff = LineDiff.unified(from: a.rows.joined(separator: "\n"), to: b.rows.joined(separator: "\n"),
                                        fromLabel: "\(labelA) (\(a.tracking.qualifiedName))", toLabel: "\(labelB) (\(a.tracking.qualifiedName))")
            throw DPMError.invalidInput("The new base records different migrations than the old one: the rows of \(a.tracking.qualifiedName) in A and B differ (diff above); nothing was written.",
                           details: diff)
        }
    }

    /// Loads the candidate base into a scratch database, checks that it holds the seed data
    /// and tracking rows A had at the squash point, then replays the remaining migrations.
    private func checkBase(schema: String, data: String?, folder: String, tracking: TrackingRows, expectedSeed: DataDump,
                           expectedRows: [String], migrations: Migrations) throws -> BaseCheck {
        let schemaFile = "\(folder)/schema.sql"
        try Data(schema.utf8).write(to: URL(fileURLWithPath: schemaFile))
        return try server.withScratchDatabase("squash_b") { b in
            do {
                try CleanBaseLoader(server: server).load(schema: schemaFile, data: data, into: b)
            } catch let failure as CleanBaseLoader.Failure {
                switch failure.part {
                case .data:
                    return .seedProblem("\(project.relative(dataPath)) does not load on the new base: \(psqlProblem(failure))")
                case .postData where data != nil:
                    return .seedProblem("the new base's constraints do not accept \(project.relative(dataPath)): \(psqlProblem(failure))")
                default:
                    throw DPMError.invalidInput("The new base schema does not load (\(psqlProblem(failure))); nothing was written.")
                }
            }
            let seed = DataDump(SchemaNormalizer.normalize(try server.dumpDataSQL(of: b, filters: TableFilters(excludeData: [tracking.qualifiedName]))))
            if let difference = seed.difference(from: expectedSeed) {
                return .seedProblem("loaded on the new base it does not hold the seed data the squashed migrations leave: \(difference)")
            }
            if try tracking.rows(in: b, on: server) != expectedRows {
                return .seedProblem("\(project.relative(dataPath)) changes the rows of \(tracking.qualifiedName)")
            }
            let states = try MigrationDetector.detect(in: b, on: server)
            try replay(migrations, in: b, through: nil, what: "B, the new base and the remaining migrations")
            return .built(schema: SchemaNormalizer.normalize(try server.dumpSchema(of: b, filters: TableFilters())),
                          rows: try tracking.rows(in: b, on: server), states: states)
        }
    }

    /// Loads the current base (and data.sql) in the order of `CleanSchemaLayout`.
    private func loadBase(into database: String, data: Bool, beforeData: () throws -> Void) throws {
        do {
            try CleanBaseLoader(server: server).load(schema: schemaPath, data: data ? dataPath : nil, into: database, beforeData: beforeData)
        } catch let failure as CleanBaseLoader.Failure {
            let what = failure.part == .data ? "The current seed data \(project.relative(dataPath))" : "The current base \(project.relative(schemaPath))"
            throw DPMError.invalidInput("\(what) does not load (\(psqlProblem(failure))); fix it before squashing.")
        }
    }

    private func replay(_ migrations: Migrations, in database: String, through version: String?, what: String) throws {
        do {
            _ = try migrations.migrate(database: database, dryRun: false, upTo: version)
        } catch {
            throw DPMError(reporting: error).rephrased("Squash stopped while building \(what) in a scratch database: \(error.userMessage)")
        }
    }

    /// PostgreSQL's words from a psql failure ("psql:/x/data.sql:19: ERROR:  column …"), with
    /// the project's paths relative and scratch paths left out.
    private func psqlProblem(_ failure: CleanBaseLoader.Failure) -> String {
        failure.firstLine.replacingOccurrences(of: workspace.project.root + "/", with: "")
            .replacingOccurrences(of: #"psql:[^ ]*/dpm-squash-[^/ ]*/"#, with: "psql:", options: .regularExpression)
            .trimmingCharacters(in: CharacterSet(charactersIn: ". "))
    }
}
