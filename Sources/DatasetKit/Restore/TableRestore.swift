import Foundation

public struct TableRestoreOptions: Sendable {
    public var profile: ProfileName
    public var snapshotID: String?
    /// The existing database whose tables are replaced.
    public var database: String
    /// `--table` patterns (at least one) and `--exclude-table` patterns.
    public var tables: [String]
    public var excludedTables: [String]

    public init(profile: ProfileName, snapshotID: String? = nil, database: String, tables: [String], excludedTables: [String] = []) {
        self.profile = profile
        self.snapshotID = snapshotID
        self.database = database
        self.tables = tables
        self.excludedTables = excludedTables
    }
}

public struct TableRestoreResult: Codable, Sendable {
    public struct Table: Codable, Sendable, Equatable {
        public var table: String
        public var rows: Int64
        /// Bytes of COPY data loaded (uncompressed).
        public var bytes: Int64

        public init(table: String, rows: Int64, bytes: Int64) {
            self.table = table
            self.rows = rows
            self.bytes = bytes
        }
    }

    public struct SequenceSetting: Codable, Sendable, Equatable {
        public var sequence: String
        public var value: String
        /// `snapshot`: the snapshot's SEQUENCE SET; `max`: the column's highest value (the snapshot had none).
        public var from: String

        public init(sequence: String, value: String, from: String) {
            self.sequence = sequence
            self.value = value
            self.from = from
        }
    }

    public var profile: String
    public var snapshot: String
    public var database: String
    public var tables: [Table]
    public var rows: Int64
    public var bytes: Int64
    /// The foreign keys from or to the restored tables, added again and so checked.
    public var foreignKeys: [String]
    public var sequences: [SequenceSetting]
    /// User triggers of the restored tables held off while their rows were loaded.
    public var triggers: Int
    public var seconds: Double
}

/// `dpm restore PROFILE --table PATTERN… --into DBNAME`: replaces the rows of a snapshot's
/// chosen tables in an existing database, in one transaction (`TableReplacement`), after
/// checking that the database has those tables with the snapshot's columns
/// (`TableShapeCheck`) and that every object needed is in the store.
public struct TableRestore {
    let workspace: Workspace
    let server: DatabaseCatalog & DatabaseQuery & DumpTools

    public init(workspace: Workspace, server: DatabaseServer) {
        self.workspace = workspace
        self.server = server
    }

    public func run(_ options: TableRestoreOptions) throws -> TableRestoreResult {
        let started = workspace.now()
        let project = workspace.project
        let spec = try project.profile(options.profile)
        guard spec.kind != .clean else {
            throw DPMError.invalidInput("The clean profile \(options.profile) lives in git, not in the store, so --table has no snapshot to take tables from; restore it whole instead.")
        }
        let target = options.database
        try DatabaseNames.validate(target)
        // Not beside a `use` or restore that could rename the database under this one.
        let names = LocalNames(working: server.defaultDatabase, stateDirectory: project.stateDirectory)
        let lock = try ProjectLock.localDatabases(names, note: workspace.note)
        defer { withExtendedLifetime(lock) {} }
        guard try server.databaseExists(target) else {
            throw DPMError.notFound("The database \(target) does not exist; --table replaces tables of an existing database (restore without --table to create one).")
        }

        let snapshot = try SnapshotCatalog(store: workspace.store, project: project, cache: workspace.cache).snapshot(of: options.profile, id: options.snapshotID)
        guard snapshot.compression == workspace.codec.name else {
            throw DPMError.invalidInput("Snapshot \(snapshot.id) of \(options.profile) is compressed with \(snapshot.compression), which this dpm cannot read (it uses \(workspace.codec.name)).")
        }
        let transfer = try workspace.transfer()
        try transfer.requireObjectIDs(of: snapshot)
        let tables = try SnapshotTables.read(snapshot, transfer: transfer)
        let chosen = try TableSelection.choose(include: options.tables, exclude: options.excludedTables, from: tables, snapshotID: snapshot.id)

        // Only the objects this restore reads (and the schema, verified as every restore verifies it).
        var needed = snapshot
        needed.data = snapshot.data.filter { $0.path == "toc.dat" } + chosen.compactMap { tables.data[$0]?.artifact }
        needed.media = nil
        try SnapshotObjectCheck(transfer: transfer).check(needed, media: nil)
        try TableShapeCheck.check(chosen, snapshot: tables.catalog, target: try TableColumns.read(from: server, database: target),
                                  database: target, snapshotID: snapshot.id)

        let session = try server.openRestoreConnection(to: target, settings: TableReplacement.settings(encoding: tables.encoding))
        workspace.progress.begin("restoring \(chosen.count) table\(chosen.count == 1 ? "" : "s") into \(target)",
                                totalBytes: chosen.compactMap { tables.data[$0]?.artifact.size }.reduce(0, +))
        let outcome: TableReplacement.Outcome
        do {
            outcome = try TableReplacement(session: session, transfer: transfer, database: target, checkpoint: workspace.checkpoint)
                .run(chosen, from: tables)
        } catch {
            workspace.progress.end()
            throw error
        }
        workspace.progress.end()
        return TableRestoreResult(
            profile: options.profile.value, snapshot: snapshot.id, database: target, tables: outcome.tables,
            rows: outcome.tables.map(\.rows).reduce(0, +), bytes: outcome.tables.map(\.bytes).reduce(0, +),
            foreignKeys: outcome.foreignKeys, sequences: outcome.sequences, triggers: outcome.triggers,
            seconds: workspace.now().timeIntervalSince(started))
    }
}
