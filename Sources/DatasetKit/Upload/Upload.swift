import Foundation

public struct UploadOptions: Sendable {
    public var profile: ProfileName
    /// Added to the filters in profile.yaml.
    public var filters: TableFilters
    public var includeMedia: Bool
    public var message: String
    public var jobs: Int
    /// A pg_dump file or folder to import instead of reading a database (an absolute path).
    public var fromDump: String?
    /// A tag to name the new snapshot by; it must not exist yet.
    public var tag: TagName?

    public init(profile: ProfileName, filters: TableFilters = TableFilters(), includeMedia: Bool = true,
                message: String = "", jobs: Int = ProcessInfo.processInfo.activeProcessorCount, fromDump: String? = nil,
                tag: TagName? = nil) {
        self.profile = profile
        self.filters = filters
        self.includeMedia = includeMedia
        self.message = message
        self.jobs = max(1, jobs)
        self.fromDump = fromDump
        self.tag = tag
    }
}

public struct UploadResult: Codable, Sendable {
    public var snapshot: String
    public var profile: String
    public var bytesRead: Int64
    public var bytesStored: Int64
    /// Objects this upload stored, and objects the store already had before it began.
    public var objectsStored: Int
    public var objectsReused: Int
    /// Artifacts whose content another artifact of this same upload has (stored once).
    public var duplicates: Int
    /// Tables in the schema, whether or not their rows were captured.
    public var tables: Int
    public var rows: Int64
    public var mediaFiles: Int
    public var skippedMedia: [String]
    /// Clean profiles: the files written into the repository (relative to it).
    public var files: [String]?
    public var seconds: Double
    /// How the data was sanitized; nil when the profile has no rules.
    public var sanitize: SanitizeRecord?
    /// The tag the snapshot was given (`--tag`).
    public var tag: String?
}

/// Captures a database (and media folder) as a new snapshot of a profile.
/// Order: objects, each verified; then the snapshot record; then the manifest.
public struct Upload: Sendable {
    let workspace: Workspace
    let server: DatabaseServer
    let database: String
    let sanitizeSettings: SanitizeSettings
    /// Set when `database` is a scratch copy standing in for the source (`run(_:scratch:)`).
    let standIn: UploadSource?

    public init(workspace: Workspace, server: DatabaseServer, database: String? = nil, sanitize: SanitizeSettings = SanitizeSettings(),
                standIn: UploadSource? = nil) {
        self.workspace = workspace
        self.server = server
        self.database = database ?? server.defaultDatabase
        sanitizeSettings = sanitize
        self.standIn = standIn
    }

    /// Captures the database as it is; `run(_:scratch:)` goes through a scratch copy where one is needed.
    public func run(_ options: UploadOptions) throws -> UploadResult {
        let started = workspace.now()
        let project = workspace.project
        let spec = try project.profile(options.profile)
        if let tag = options.tag {
            try SnapshotTagging.requireAbsent(tag, of: options.profile, kind: spec.kind, store: workspace.store)
        }
        let filters = spec.tables.merged(with: options.filters)
        let key = try sanitizeKey(for: spec)
        let version = try standIn?.sourceVersion ?? server.serverVersion()
        if spec.kind == .clean {
            return try CleanProfileFiles(project: project, server: server)
                .capture(profile: options.profile, database: database, filters: filters, version: version, started: started,
                         message: options.message, workspace: workspace)
        }
        let plan = try key.map { try sanitizePlan(spec.sanitize!, key: $0, profile: options.profile, filters: filters) }
        if plan == nil, !server.isOnThisMachine {
            workspace.note("Warning: \(options.profile.value) is a \(spec.kind.rawValue) profile without sanitize rules, read from \(server.displayName): its data is stored as it is (add a sanitize: section to profiles/\(options.profile.value)/profile.yaml).")
        }
        // A dump read directly says what it says of its database; a database is asked.
        let properties = try standIn?.archive != nil ? standIn?.properties : standIn?.properties ?? server.properties(of: database)
        // Encrypted or not, as dpm.yaml and the store agree (or refused); written to a new store
        // only just before its first object.
        let start = try workspace.encryption.startUpload(now: started)
        // Before the first look at an object: from now on no gc deletes (see UploadCommitCheck).
        let lease = try UploadLease.take(profile: options.profile.value, workspace: workspace)
        defer { lease.release() }
        // Objects dpm verify marked damaged are stored anew, never reused (one listing of damaged/).
        let plainTransfer = workspace.transfer(sealing: start.sealing).repairing(try DamageMarks.list(in: workspace.store))
        // Read now, so that a manifest another upload pins meanwhile is not silently replaced.
        let pin = ManifestPin(project: project, profile: options.profile, store: workspace.store)
        let (recorded, places, patchSources) = try RecordedSizes.newest(of: options.profile, workspace: workspace, transfer: plainTransfer)
        let packs = workspace.packBelow > 0 ? PackWriter(store: workspace.store, recorded: places, memberLimit: workspace.packBelow) : nil
        let transfer = (packs.map { plainTransfer.packing(into: $0) } ?? plainTransfer).patching(from: patchSources)
        let counters = Locked(Counters())
        let named = Locked([String: Int64]())
        let record = recorder(counting: counters, naming: named)

        let captured = try workspace.withScratchDirectory("upload") { scratch in
            try capture(options, filters: filters, plan: plan, scratch: scratch, transfer: transfer, start: start,
                        recorded: recorded, record: record)
        }
        // The record names the packs its small objects lie in, not the objects themselves.
        let packSizes = try packs?.finish() ?? [:]
        named.withValue { $0.merge(packSizes) { _, pack in pack } }
        let migrations = try captured.migrations ?? MigrationDetector.detect(in: database, on: server)
        workspace.progress.end()
        let (schema, data, tableCount, mediaSummary) = (captured.schema, captured.data, captured.tables, captured.media)

        let snapshot = Snapshot(
            format: Snapshot.currentFormat,
            id: SnapshotID.make(at: started),
            profile: options.profile.value,
            kind: spec.kind,
            createdAt: Timestamp.iso8601(started),
            message: options.message,
            tool: "dpm \(workspace.toolVersion)",
            compression: workspace.codec.name,
            source: SnapshotSource(database: standIn?.recordedName ?? database, serverVersion: version.text,
                                   serverVersionNumber: version.number, properties: properties, dump: standIn?.dump),
            filters: filters,
            migrations: migrations,
            schema: schema,
            data: data,
            media: mediaSummary,
            tables: tableCount,
            sizes: Self.sizes(schema: schema, data: data, media: mediaSummary),
            sanitize: captured.sanitize,
            objectIDs: transfer.sealing == nil ? nil : ObjectSealing.idKind
        )
        try publish(snapshot, tag: options.tag, pin: pin, lease: lease, objects: named.current)
        let totals = counters.current
        return UploadResult(
            snapshot: snapshot.id, profile: snapshot.profile, bytesRead: totals.read, bytesStored: totals.stored,
            objectsStored: totals.new, objectsReused: totals.reused, duplicates: totals.duplicates, tables: snapshot.tableCount,
            rows: snapshot.rowCount, mediaFiles: mediaSummary?.files ?? 0, skippedMedia: captured.skippedMedia, files: nil,
            seconds: workspace.now().timeIntervalSince(started), sanitize: captured.sanitize, tag: options.tag?.value
        )
    }

    /// What `capture` stored.
    struct Captured {
        var schema: Artifact
        var data: [Artifact]
        var tables: Int
        var media: MediaSummary?
        var skippedMedia: [String]
        var sanitize: SanitizeRecord?
        /// Read from the dump itself when there is no database to ask.
        var migrations: [MigrationState]?
    }

    /// Dumps, sanitizes and stores schema, data and media. Without rules, media goes up while
    /// pg_dump runs: one waits on the database server, the other on the store, so together
    /// they take about as long as the longer of the two. With rules, nothing is stored until
    /// the leak check has passed (streamed, in reads of the data before the one that stores it).
    /// `start` is written to the store just before the first object (its settings, or a new
    /// encrypted store's key), by whichever of the media and the database part stores first,
    /// so that an upload refused before then (a leak, a failed dump) leaves the store as it was.
    private func capture(_ options: UploadOptions, filters: TableFilters, plan: SanitizePlan?, scratch: String,
                         transfer: ObjectTransfer, start: StoreEncryption.UploadStart,
                         recorded: [String: Int64], record: @escaping @Sendable (ObjectTransfer.Stored) -> Void) throws -> Captured {
        var media = plan == nil ? try startMedia(options, transfer: transfer, start: start, recorded: recorded, record: record)
            : (work: nil, skipped: [])
        // An error of the database part is reported once the media part has stopped too.
        defer { _ = try? media.work?.wait() }
        // Streamed, with no scratch copy of the data, unless a dump is read directly or large
        // objects need pg_dump's files. With rules, streaming reads the data three times: a copy
        // in the scratch folder is faster where it has room for one (and a snapshot is needed).
        if standIn?.archive == nil, try !hasLargeObjects() {
            let held = try? server.exportSnapshot(of: database)
            defer { held?.release() }
            let sizes = plan == nil ? [:] : try tableSizes()
            if plan == nil || held != nil && !Self.scratchHasRoom(at: scratch, forTablesOf: sizes) {
                let streamed = try streamData(filters: filters, plan: plan, snapshot: held?.name, tableSizes: sizes, jobs: options.jobs,
                                              transfer: transfer, start: start, recorded: recorded, record: record,
                                              into: "\(scratch)/dump") {
                    if plan != nil { media = try startMedia(options, transfer: transfer, start: start, recorded: recorded, record: record) }
                }
                let sanitize = plan.map { $0.record(scripts: standIn?.scripts ?? [], leakCheck: streamed.leakCheck!) }
                return Captured(schema: streamed.schema, data: streamed.data, tables: streamed.tables, media: try media.work?.wait(),
                                skippedMedia: media.skipped, sanitize: sanitize, migrations: nil)
            }
        }
        let dump = try dumpData(filters: filters, plan: plan, jobs: options.jobs, into: "\(scratch)/dump")
        if plan != nil { media = try startMedia(options, transfer: transfer, start: start, recorded: recorded, record: record) }
        try start.publish()
        let schema = try storeSchema(filters: filters, dump: dump, transfer: transfer, recorded: recorded, record: record)
        let data = try storeDirectory(dump.directory, tables: dump.tableNames, jobs: options.jobs, transfer: transfer, recorded: recorded,
                                      record: record)
        let mediaSummary = try media.work?.wait()
        let sanitize = plan.map { $0.record(scripts: standIn?.scripts ?? [], leakCheck: dump.checked!.leakCheck) }
        return Captured(schema: schema, data: data, tables: dump.tableCount, media: mediaSummary, skippedMedia: media.skipped,
                        sanitize: sanitize, migrations: dump.migrations)
    }

    /// Each table's size on disk (`pg_table_size`: its heap and TOAST), by table.
    private func tableSizes() throws -> [QualifiedTable: Int64] {
        let sql = """
            SELECT n.nspname, c.relname, pg_table_size(c.oid)::text FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE c.relkind = 'r' AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%'
            """
        var sizes: [QualifiedTable: Int64] = [:]
        for row in try server.query(sql, parameters: [], in: database) where row.count == 3 {
            if let schema = row[0], let table = row[1] { sizes[QualifiedTable(schema: schema, table: table)] = row[2].flatMap { Int64($0) } ?? 0 }
        }
        return sizes
    }

    /// Whether the file system of `scratch` has room for a sanitized upload's copy of the data:
    /// pg_dump's uncompressed files take about the tables' size on disk (more where TOAST
    /// compressed long values), and the rules rewrite a file at a time per job beside them.
    private static func scratchHasRoom(at scratch: String, forTablesOf sizes: [QualifiedTable: Int64]) -> Bool {
        guard let free = (try? FileManager.default.attributesOfFileSystem(forPath: scratch))?[.systemFreeSize] as? NSNumber else {
            return false
        }
        return free.int64Value / 2 > sizes.values.reduce(0, +) + (128 << 20)
    }

    /// Large objects are pg_dump's BLOBS entries, which only a directory dump gives dpm as files.
    private func hasLargeObjects() throws -> Bool {
        try server.query("SELECT EXISTS (SELECT 1 FROM pg_largeobject_metadata)", parameters: [], in: database).first?.first == "t"
    }

    /// What the streamed capture stored of the database.
    struct StreamedData {
        var schema: Artifact
        var data: [Artifact]
        var tables: Int
        /// What the leak check did, when there are rules.
        var leakCheck: LeakCheckRecord?
    }

    /// The data read straight from pg_dump into the store (`StreamedDump`), with no scratch copy,
    /// through the rules and the leak check when there are rules (`SanitizedStream`); the schema
    /// is dumped meanwhile, in the same snapshot, and the store's settings written once pg_dump
    /// has begun to send data (with rules, once the original values are known).
    private func streamData(filters: TableFilters, plan: SanitizePlan?, snapshot: String?, tableSizes: [QualifiedTable: Int64],
                            jobs: Int, transfer: ObjectTransfer,
                            start: StoreEncryption.UploadStart, recorded: [String: Int64],
                            record: @escaping @Sendable (ObjectTransfer.Stored) -> Void, into directory: String,
                            beforeData: () throws -> Void) throws -> StreamedData {
        let schemaSQL = BackgroundWork { [server, database] in try server.dumpSchema(of: database, filters: filters, snapshot: snapshot) }
        defer { _ = try? schemaSQL.wait() }
        let dumpFilters = plan.map { filters.merged(with: TableFilters(excludeData: $0.excludedData)) } ?? filters
        let sanitized = plan.flatMap { plan in
            snapshot.map { SanitizedStream(plan: plan, leakCheckLimit: sanitizeSettings.leakCheckLimit, server: server, database: database,
                                               snapshot: $0, sizes: tableSizes, jobs: jobs, progress: workspace.progress) }
        }
        workspace.progress.begin("dumping \(database) with pg_dump and storing its data")
        let stored = try StreamedDump(server: server, transfer: transfer, jobs: jobs, recorded: recorded)
            .store(database, filters: dumpFilters, snapshot: snapshot, pass: sanitized, into: directory) {
                try start.publish()
                try beforeData()
            }
        try start.publish()
        let listing = try server.listDirectory(directory)
        let tableNames = DumpTOC.tableFiles(fromListing: listing)
        let toc = try transfer.storeChunked(fileAt: "\(directory)/toc.dat", recordedSizes: recorded, width: jobs)
        var data = [toc.artifact(path: "toc.dat", table: nil)]
        toc.objects.forEach(record)
        for (name, artifact) in stored {
            artifact.objects.forEach(record)
            data.append(artifact.artifact(path: name, table: tableNames[name]))
        }
        let schema = try storeSchema(try schemaSQL.wait(), transfer: transfer, recorded: recorded, record: record)
        return StreamedData(schema: schema, data: data.sorted { $0.path < $1.path }, tables: DumpTOC.tableCount(fromListing: listing),
                            leakCheck: sanitized?.record)
    }

    /// The key of a profile with rules, read before anything of the source is: without it, nothing is needed.
    func sanitizeKey(for spec: ProfileSpec) throws -> SanitizeKey? {
        try spec.sanitize.map { _ in try SanitizeKey(settings: sanitizeSettings) }
    }

    /// The profile's rules checked against the database, before anything of its data is read.
    private func sanitizePlan(_ rules: SanitizeRules, key: SanitizeKey, profile: ProfileName, filters: TableFilters) throws -> SanitizePlan {
        if let problem = sanitizeSettings.leakCheckLimitProblem { throw DPMError.invalidInput(problem) }
        let plan = try standIn?.archive.map { archive in
            try SanitizePlan.checked(rules, key: key, catalog: try archive.catalog(), dumpName: archive.databaseName, server: server, database: database)
        } ?? SanitizePlan.checked(rules, key: key, server: server, database: database)
        try plan.requireClassified(plan.storedTables(filters), profile: profile)
        return plan
    }

    /// Counts each stored object, and says when the store's copy of one had to be replaced.
    /// `named` collects every object the record will name, with its stored size, for the commit check.
    private func recorder(counting counters: Locked<Counters>, naming named: Locked<[String: Int64]>) -> @Sendable (ObjectTransfer.Stored) -> Void {
        let note = workspace.note
        return { stored in
            counters.withValue { $0.add(stored) }
            if stored.packedAt == nil { named.withValue { $0[stored.sha256] = stored.storedSize } }
            if let patched = stored.patched { named.withValue { $0[patched.base] = patched.baseStoredSize } }
            if let damaged = stored.replacedSize {
                note("The store's copy of object \(stored.sha256) was damaged (\(damaged) bytes, truncated or replaced); it was stored anew.")
            }
        }
    }

    /// The media folder's upload, started on its own thread (nil work when there is no media to take).
    private func startMedia(_ options: UploadOptions, transfer: ObjectTransfer, start: StoreEncryption.UploadStart, recorded: [String: Int64],
                            record: @escaping @Sendable (ObjectTransfer.Stored) -> Void) throws
        -> (work: BackgroundWork<MediaSummary>?, skipped: [String]) {
        guard options.includeMedia, let folder = workspace.project.mediaDirectory, FileManager.default.fileExists(atPath: folder) else {
            return (nil, [])
        }
        let scan = try MediaScan.scan(folder)
        for path in scan.skipped { workspace.note("Skipped \(path) in the media folder: only regular files are stored.") }
        let jobs = options.jobs
        return (BackgroundWork { [self] in
            try start.publish()
            return try storeMedia(scan, jobs: jobs, transfer: transfer, recorded: recorded, record: record)
        }, scan.skipped)
    }

    private func storeSchema(filters: TableFilters, dump: DataDump, transfer: ObjectTransfer, recorded: [String: Int64],
                             record: @Sendable (ObjectTransfer.Stored) -> Void) throws -> Artifact {
        let sql = try standIn?.archive != nil ? ArchiveSchema.sql(of: dump.directory, tools: server) : server.dumpSchema(of: database, filters: filters)
        return try storeSchema(sql, transfer: transfer, recorded: recorded, record: record)
    }

    /// Stores a schema dump, normalized as every snapshot's is.
    private func storeSchema(_ sql: String, transfer: ObjectTransfer, recorded: [String: Int64],
                             record: @Sendable (ObjectTransfer.Stored) -> Void) throws -> Artifact {
        let stored = try transfer.storeData(Data(SchemaNormalizer.normalize(sql).utf8), recordedSizes: recorded)
        record(stored)
        return Artifact(path: "schema.sql", sha256: stored.sha256, size: stored.size, storedSize: stored.storedSize)
    }

    /// pg_dump's directory format of the data, each table file sanitized and checked when
    /// there are rules.
    struct DataDump {
        var directory: String
        /// Data file name → "schema.table".
        var tableNames: [String: String]
        /// Tables the dump defines, those whose rows were left out included.
        var tableCount: Int
        var checked: SanitizedDump.Checked?
        /// The migration state, when read from a dump's files rather than from the database.
        var migrations: [MigrationState]?
    }

    private func dumpData(filters: TableFilters, plan: SanitizePlan?, jobs: Int, into directory: String) throws -> DataDump {
        let dumpFilters = plan.map { filters.merged(with: TableFilters(excludeData: $0.excludedData)) } ?? filters
        var migrations: [MigrationState]?
        if let archive = standIn?.archive {
            workspace.progress.begin("reading \(archive.dump.name)")
            migrations = try archive.unpack(into: directory, filters: dumpFilters)
        } else {
            workspace.progress.begin("dumping \(database) with pg_dump -j \(jobs)")
            try server.dumpDirectory(of: database, to: directory, jobs: jobs, filters: dumpFilters)
        }
        let listing = try server.listDirectory(directory)
        let tableNames = DumpTOC.tableFiles(fromListing: listing)
        var dump = DataDump(directory: directory, tableNames: tableNames, tableCount: DumpTOC.tableCount(fromListing: listing),
                            migrations: migrations)
        if let plan {
            let known = Dictionary(plan.catalog.columns.keys.map { ($0.description, $0) }, uniquingKeysWith: { first, _ in first })
            let tables = tableNames.compactMapValues { known[$0] }
            let names = try FileManager.default.contentsOfDirectory(atPath: directory).sorted()
            dump.checked = try SanitizedDump(plan: plan, leakCheckLimit: sanitizeSettings.leakCheckLimit, jobs: jobs)
                .sanitizeAndCheck(directory, tables: tables, names: names, progress: workspace.progress)
        }
        return dump
    }

    private static func sizes(schema: Artifact, data: [Artifact], media: MediaSummary?) -> SnapshotSizes {
        let dataBytes = data.reduce(0) { $0 + $1.size }
        return SnapshotSizes(
            total: schema.size + dataBytes + (media.map { $0.bytes + $0.index.size } ?? 0),
            stored: schema.storedSize + data.reduce(0) { $0 + $1.storedSize } + (media.map { $0.index.storedSize + $0.storedBytes } ?? 0),
            data: dataBytes,
            media: media?.bytes ?? 0
        )
    }

    /// The order of writes that makes a snapshot exist: its objects are stored (verified)
    /// already; then the commit check (no gc deleted one of them meanwhile); then the
    /// create-only record, after which the lease goes; then its tag, create-only too; then the
    /// manifest, only if still unchanged.
    private func publish(_ snapshot: Snapshot, tag: TagName?, pin: ManifestPin, lease: UploadLease, objects: [String: Int64]) throws {
        try workspace.checkpoint("upload.before-record")
        try UploadCommitCheck(lease: lease, note: workspace.note).run(objects: objects)
        let recordJSON = try CanonicalJSON.encode(snapshot)
        try workspace.store.put(StoreLayout.snapshotKey(profile: snapshot.profile, id: snapshot.id),
                                from: DataReader(recordJSON), expectedSHA256: SHA256Hex.of(recordJSON), overwrite: false)
        lease.release()
        if let tag {
            try workspace.checkpoint("upload.before-tag")
            try SnapshotTagging.tagUpload(snapshot, as: tag, workspace: workspace)
        }
        try workspace.checkpoint("upload.before-manifest")
        try pin.pin(snapshot)
    }

    /// Two artifacts with one content are one object, counted once: new if this upload stored
    /// it (whichever of its workers did, and whatever order they report in), else reused.
    struct Counters {
        var read: Int64 = 0
        private var artifacts = 0
        /// Per object: whether this upload stored it, and its stored size.
        private var objects: [String: (isNew: Bool, storedSize: Int64)] = [:]

        mutating func add(_ stored: ObjectTransfer.Stored) {
            read += stored.size
            artifacts += 1
            let known = objects[stored.sha256]
            objects[stored.sha256] = (known?.isNew == true || stored.isNew, stored.isNew ? stored.storedSize : known?.storedSize ?? 0)
        }

        var new: Int { objects.values.filter(\.isNew).count }
        var reused: Int { objects.count - new }
        var stored: Int64 { objects.values.filter(\.isNew).reduce(0) { $0 + $1.storedSize } }
        var duplicates: Int { artifacts - objects.count }
    }

    /// Stores every file of a pg_dump directory as chunks (`storeChunked`): the files in
    /// parallel, and the chunks of each file too, so that one big table keeps every core busy.
    private func storeDirectory(_ directory: String, tables: [String: String], jobs: Int, transfer: ObjectTransfer,
                                recorded: [String: Int64], record: @escaping @Sendable (ObjectTransfer.Stored) -> Void) throws -> [Artifact] {
        let names = try FileManager.default.contentsOfDirectory(atPath: directory).sorted()
        let sizes = names.map { FileSize.of("\(directory)/\($0)") }
        workspace.progress.begin("storing data", totalBytes: sizes.reduce(0, +), totalItems: names.count)
        let artifacts = Locked([Artifact]())
        // Biggest first, so the longest file does not start last.
        let order = zip(names, sizes).sorted { $0.1 > $1.1 }.map(\.0)
        try concurrentForEach(order, width: jobs) { name in
            let table = tables[name]
            let stored = try transfer.storeChunked(fileAt: "\(directory)/\(name)", countingLines: table != nil, recordedSizes: recorded,
                                                   width: jobs, table: table)
            stored.objects.forEach(record)
            let artifact = stored.artifact(path: name, table: table)
            artifacts.withValue { $0.append(artifact) }
            transfer.progress.advance(items: 1)
        }
        return artifacts.current.sorted { $0.path < $1.path }
    }

    /// Stores each media file and the media index.
    private func storeMedia(_ scan: MediaScan, jobs: Int, transfer: ObjectTransfer, recorded: [String: Int64],
                            record: @escaping @Sendable (ObjectTransfer.Stored) -> Void) throws -> MediaSummary {
        workspace.progress.begin("storing media", totalItems: scan.files.count)
        let entries = Locked([MediaEntry]())
        let storedBytes = Locked(Int64(0))
        try concurrentForEach(scan.files, width: jobs) { file in
            // Above the chunk size a file is chunked as table data is: an edited video or
            // archive stores only the chunks around the edit.
            let stored = try transfer.storeChunked(fileAt: file.absolutePath, recordedSizes: recorded, width: jobs)
            stored.objects.forEach(record)
            storedBytes.withValue { $0 += stored.storedSize }
            let entry = MediaEntry(path: file.relativePath, size: stored.size, mode: file.mode, sha256: stored.sha256,
                                   storedSize: stored.storedSize, chunks: stored.chunks, pack: stored.pack)
            entries.withValue { $0.append(entry) }
            transfer.progress.advance(items: 1)
        }
        let index = entries.current.sorted { $0.path < $1.path }
        let indexStored = try transfer.storeData(try CanonicalJSON.encode(index), recordedSizes: recorded)
        record(indexStored)
        return MediaSummary(
            index: Artifact(path: "media-index.json", sha256: indexStored.sha256, size: indexStored.size, storedSize: indexStored.storedSize),
            files: index.count,
            bytes: index.reduce(0) { $0 + $1.size },
            storedBytes: storedBytes.current
        )
    }
}
