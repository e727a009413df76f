import Archive
import DatasetKit
import Foundation
import ObjectStore
import Postgres

/// Wires the domain to its real adapters: the project found from the current folder,
/// its store, zstd, libpq, and terminal progress.
struct AppContext {
    let project: Project
    let settings: Settings

    /// The one reading of this process's environment for settings.
    static let processSettings = Settings(environment: ProcessInfo.processInfo.environment)

    init() throws {
        settings = Self.processSettings
        project = try Project.locate(from: FileManager.default.currentDirectoryPath, overrides: settings.project,
                                     connectionStrings: LibpqConnectionStrings())
    }

    func store() throws -> ObjectStore {
        let verbose = settings.diagnostics.verbose
        return try StoreFactory.make(url: project.config.store, projectRoot: project.root, endpoint: project.config.endpoint,
                                     settings: settings, log: { line in if verbose { Terminal.note(line) } })
    }

    /// The working database's server, or the one `conninfo` names. The first time in a
    /// command, what a killed restore left in this project is repaired first.
    func server(conninfo: String? = nil) throws -> PostgresServer {
        let server = PostgresServer(settings: try ConnectionSettings(conninfo: conninfo ?? project.config.database, libpq: settings.postgres.libpq),
                                    clientTools: settings.postgres)
        if conninfo == nil, Self.repairChecked.withValue({ checked in defer { checked = true }; return !checked }) {
            // An unreachable server is the command's to report, not the repair's.
            try? InterruptedRestores(server: server, stateDirectory: project.stateDirectory, note: Terminal.note).repairIfNeeded()
        }
        return server
    }

    private static let repairChecked = Locked(false)

    /// Where dumps load and sanitize scripts run: scratch databases on the local working server
    /// (`server` itself unless it was opened for `conninfo`).
    func scratchServer(besides server: PostgresServer, conninfo: String?) throws -> ScratchServer {
        ScratchServer(server: conninfo == nil ? server : try self.server(), decompression: StreamDecompressor())
    }

    func workspace() throws -> Workspace {
        project.secureStateDirectory()
        let store = try store()
        // A local folder store is already local: caching it would only double the disk use.
        let cache = store is LocalDirectoryStore ? nil : try ObjectCache(root: settings.cache.root)
        return Workspace(project: project, store: store, codec: ZstdCodec(level: settings.compression.zstdLevel),
                         progress: Terminal.progressMeter(), toolVersion: DPM.version, note: Terminal.note,
                         checkpoint: checkpoint,
                         cache: cache,
                         // The one place a command's objects get their sealing: dpm.yaml's encryption:
                         // and the store's own settings, opened with the user's identity when needed.
                         encryption: StoreEncryption(store: store, config: project.config.encryption, identity: settings.encryption,
                                                      cache: cache),
                         leases: settings.leases, packBelow: settings.compression.packBelow)
    }

    /// The crash and race test hooks below, for the workflows that take a checkpoint.
    var checkpoint: @Sendable (String) throws -> Void { Self.checkpoint(settings.diagnostics) }

    /// For crash tests: DPM_STOP_AT=<step> kills the process at that step, as a power cut would.
    /// For race tests: DPM_PAUSE_AT=<step>:<seconds> waits there (at most 60 s), saying so on stderr;
    /// with DPM_PAUSE_UNTIL=<file>, DPM_PAUSE_AT=<step> waits there until the test creates the file.
    private static func checkpoint(_ diagnostics: Diagnostics) -> @Sendable (String) throws -> Void {
        let stopAt = diagnostics.stopAt, pause = diagnostics.pauseAt
        guard !stopAt.isEmpty || pause != nil else { return { _ in } }
        return { step in
            if step == stopAt { kill(getpid(), SIGKILL) }
            guard let pause, step == pause.step else { return }
            if let until = pause.untilFile {
                try waitForFile(until, at: step, seconds: pause.seconds)
            } else {
                Terminal.note("Pausing at \(step) for \(pause.seconds) s (DPM_PAUSE_AT).")
                Thread.sleep(forTimeInterval: pause.seconds)
            }
        }
    }

    /// DPM_PAUSE_UNTIL: says the step was reached (`<file>.reached`), then waits for `<file>`.
    private static func waitForFile(_ file: String, at step: String, seconds: Double) throws {
        Terminal.note("Pausing at \(step) until \(file) exists (DPM_PAUSE_AT, DPM_PAUSE_UNTIL).")
        guard FileManager.default.createFile(atPath: "\(file).reached", contents: Data()) else {
            throw DPMError.system("Cannot create \(file).reached (DPM_PAUSE_UNTIL).")
        }
        let deadline = Date().addingTimeInterval(seconds)
        while !FileManager.default.fileExists(atPath: file) {
            guard Date() < deadline else {
                throw DPMError.interrupted("\(file) did not appear within \(Int(seconds)) s of the pause at \(step) (DPM_PAUSE_UNTIL).")
            }
            Thread.sleep(forTimeInterval: 0.05)
        }
    }

    func profileName(_ text: String) throws -> ProfileName { try ProfileName(text) }

    /// The download cache's folder of partial downloads, for status and cleanup.
    var cachePartials: [String] {
        ["\(settings.cache.root)/.tmp"]
    }

    func localDatabases() throws -> LocalDatabases {
        try LocalDatabases(workspace: try workspace(), server: try server())
    }

    /// How many of the most recently used templates keep a ready spare copy.
    var spares: Int { settings.switching.spares }

    /// Starts `dpm cache refill` detached from this process and its terminal, logging to
    /// .dpm/refill.log; DPM_REFILL=off (or DPM_SPARES=0) turns it off.
    func startBackgroundRefill() {
        guard settings.switching.refill, spares > 0 else { return }
        BackgroundProcess.start(arguments: ["cache", "refill"], log: "\(project.stateDirectory)/refill.log")
    }
}
