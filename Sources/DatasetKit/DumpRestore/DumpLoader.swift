import Foundation

/// Restores a snapshot's dump into an empty database. pg_restore creates the schema and
/// builds indexes and constraints; dpm streams each table's data from the store straight
/// into COPY, decompressing and verifying it on the way, so the data is never written to
/// disk twice and loading starts at once. Indexes of a table are built while other tables
/// still load (see `RestoreSchedule`).
struct DumpLoader {
    let server: DumpTools
    let transfer: ObjectTransfer
    let jobs: Int

    func load(_ snapshot: Snapshot, into database: String, scratch: String, label: String) throws {
        let artifacts = Dictionary(snapshot.data.map { ($0.path, $0) }, uniquingKeysWith: { first, _ in first })
        guard let toc = artifacts["toc.dat"] else {
            throw DPMError.corrupt("Snapshot \(snapshot.id) has no table of contents (toc.dat) in its dump; it cannot be restored.")
        }
        try transfer.fetch(toc, to: "\(scratch)/toc.dat", durable: false)
        let sections = BackgroundWork { [server] in try server.listDirectory(scratch, sections: [.data, .postData], verbose: false) }
        let entries = DumpListing.entries(try server.listDirectory(scratch, sections: [], verbose: true))
        let restorable = Set(DumpListing.ids(try sections.wait()))
        let tableData = entries.filter { $0.desc == "TABLE DATA" && restorable.contains($0.id) }
        let streamed: [Int: Artifact] = try Dictionary(uniqueKeysWithValues: tableData.map { entry in
            guard let artifact = artifacts["\(entry.id).dat"] else {
                throw DPMError.corrupt("Snapshot \(snapshot.id) lacks \(entry.id).dat, a table data file its dump lists; it cannot be restored.")
            }
            return (entry.id, artifact)
        })
        // Files that are not table data (large objects) are read by pg_restore itself.
        let streamedPaths = Set(streamed.values.map(\.path))
        try fetch(snapshot.data.filter { $0.path != "toc.dat" && !streamedPaths.contains($0.path) }, into: scratch)

        let schedule = RestoreSchedule(entries: entries, restorable: restorable, dataSizes: streamed.mapValues(\.size))
        let lastPass = Set(schedule.lastPass)
        let sqlIDs = entries.filter {
            restorable.contains($0.id) && !lastPass.contains($0.id) && EntryScript.kinds.contains($0.desc)
        }.map(\.id)
        // The schema goes in while pg_restore prints the SQL of the rest (neither waits for the other).
        let preData = BackgroundWork { [server] in
            try server.restoreDirectory(scratch, into: database, jobs: 1, sections: [.preData], listFile: nil)
        }
        let statements = Result { try copyStatements(for: tableData.map(\.id), scratch: scratch) }
        let entrySQL = Result { try entryScripts(for: sqlIDs, scratch: scratch) }
        try preData.wait()
        transfer.progress.begin("restoring into \(label)", totalBytes: snapshot.sizes.data)
        guard let statements = try statements.get() else {
            // pg_restore's COPY statements could not be read line by line (a name with a line
            // break): let pg_restore load the data from files, as it would by itself.
            try fetch(Array(streamed.values), into: scratch)
            return try server.restoreDirectory(scratch, into: database, jobs: jobs, sections: [.data, .postData], listFile: nil)
        }

        let (sqlSettings, sql) = try entrySQL.get()
        let settings = statements.settings.isEmpty ? sqlSettings : statements.settings
        let workers = max(1, jobs)
        let work = ScheduleState(schedule, workers: workers)
        try concurrentForEach(Array(0..<workers), width: workers) { _ in
            var session: RestoreConnection?
            func connection() throws -> RestoreConnection {
                if let session { return session }
                let opened = try server.openRestoreConnection(to: database, settings: settings)
                session = opened
                return opened
            }
            while let next = try work.take() {
                do {
                    try run(next, on: connection, statements: statements.copy, sql: sql, streamed: streamed, into: database, scratch: scratch)
                    work.finished(next)
                } catch {
                    work.fail()
                    throw error
                }
            }
        }
        if !schedule.lastPass.isEmpty {
            let list = try writeList(schedule.lastPass, named: "last-pass", in: scratch)
            try server.restoreDirectory(scratch, into: database, jobs: jobs, sections: [], listFile: list)
        }
    }

    /// Runs one piece of scheduled work on a worker's connection.
    private func run(_ work: RestoreSchedule.Work, on connection: () throws -> RestoreConnection, statements: [Int: String],
                     sql: [Int: EntryScript.Entry], streamed: [Int: Artifact], into database: String, scratch: String) throws {
        switch work {
        case .tableData(let id):
            let artifact = streamed[id]!
            // The store's errors (a corrupt object) are told as they are; the database's
            // (a row it refuses, a session it cannot open) name the table.
            func loadFailed(_ error: DPMError) -> DPMError {
                error.rephrased("Loading the data of \(artifact.table ?? artifact.path) failed: \(error.message)")
            }
            let session: RestoreConnection
            do { session = try connection() } catch let error as DPMError { throw loadFailed(error) }
            do {
                try session.copy(statements[id]!) { writer in
                    try transfer.read(artifact, into: writer, what: artifact.table.map { "\(artifact.path), data of \($0)" } ?? artifact.path)
                }
            } catch let error as DPMError where error.kind == .database {
                throw loadFailed(error)
            }
        case .entries(let ids):
            for id in ids {
                guard let entry = sql[id] else { continue }
                do {
                    try connection().execute(entry.sql)
                } catch let error as DPMError {
                    throw error.rephrased("Restoring the \(entry.name) failed: \(error.message)")
                }
            }
            let rest = ids.filter { sql[$0] == nil }
            guard !rest.isEmpty else { return }
            let list = try writeList(rest, named: "entries-\(rest[0])", in: scratch)
            try server.restoreDirectory(scratch, into: database, jobs: 1, sections: [], listFile: list)
        }
    }

    /// Fetches artifacts into the scratch folder, for pg_restore to read.
    private func fetch(_ artifacts: [Artifact], into scratch: String) throws {
        try concurrentForEach(artifacts, width: max(2, jobs)) { artifact in
            try transfer.fetch(artifact, to: "\(scratch)/\(artifact.path)", durable: false)
        }
    }

    /// Writes a `--use-list` file of `ids` into the scratch folder; returns its path.
    private func writeList(_ ids: [Int], named name: String, in scratch: String) throws -> String {
        let path = "\(scratch)/\(name).list"
        try AtomicFile.write(Data(DumpListing.listFile(ids).utf8), to: path, durable: false)
        return path
    }

    /// pg_restore's session settings and COPY statement for each table data entry, read from
    /// what it prints for empty data files; nil when a statement spans lines.
    private func copyStatements(for ids: [Int], scratch: String) throws -> (settings: [String], copy: [Int: String])? {
        guard !ids.isEmpty else { return ([], [:]) }
        let placeholders = ids.map { "\(scratch)/\($0).dat" }
        defer { placeholders.forEach { unlink($0) } }
        for path in placeholders { try AtomicFile.write(Data(), to: path, durable: false) }
        let list = try writeList(ids, named: "table-data", in: scratch)
        let script = DataLoadScript.parse(try server.restoreScript(of: scratch, sections: [.data], listFile: list))
        guard script.copyStatements.count == ids.count,
              script.copyStatements.allSatisfy({ $0.hasSuffix(" FROM stdin;") }) else { return nil }
        return (script.settings, Dictionary(uniqueKeysWithValues: zip(ids, script.copyStatements)))
    }

    /// The SQL of each entry dpm can run itself, by id; empty when pg_restore's script did not
    /// split cleanly (then pg_restore runs them all).
    private func entryScripts(for ids: [Int], scratch: String) throws -> (settings: [String], entries: [Int: EntryScript.Entry]) {
        guard !ids.isEmpty else { return ([], [:]) }
        let list = try writeList(ids, named: "entries", in: scratch)
        let script = try server.restoreScript(of: scratch, sections: [.data, .postData], listFile: list)
        let settings = DataLoadScript.parse(script).settings
        guard let entries = EntryScript.parse(script, count: ids.count) else { return (settings, [:]) }
        return (settings, Dictionary(uniqueKeysWithValues: zip(ids, entries)))
    }
}

/// A `RestoreSchedule` shared by worker threads: they wait for work that can start.
private final class ScheduleState: @unchecked Sendable {
    private let condition = NSCondition()
    private var schedule: RestoreSchedule
    private let workers: Int
    private var failed = false

    init(_ schedule: RestoreSchedule, workers: Int) {
        self.schedule = schedule
        self.workers = workers
    }

    /// The next work, waiting while running work holds it back; nil when all is done or a worker failed.
    func take() throws -> RestoreSchedule.Work? {
        condition.lock()
        defer { condition.unlock() }
        while !failed, !schedule.isFinished {
            if let work = schedule.next(workers: workers) { return work }
            if schedule.isStuck {
                failed = true
                condition.broadcast()
                throw DPMError.corrupt("The dump's entries depend on each other in a cycle; pg_restore could not restore it either.")
            }
            condition.wait()
        }
        return nil
    }

    func finished(_ work: RestoreSchedule.Work) {
        condition.lock()
        schedule.finished(work)
        condition.broadcast()
        condition.unlock()
    }

    func fail() {
        condition.lock()
        failed = true
        condition.broadcast()
        condition.unlock()
    }
}
