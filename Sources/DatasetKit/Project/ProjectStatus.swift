import Foundation

/// `dpm status`: the project, its store, the working database and each profile's pin.
public struct ProjectStatus: Codable, Sendable {
    public struct DatabaseState: Codable, Sendable {
        public var name: String
        public var server: String
        public var reachable: Bool
        public var exists: Bool?
        public var serverVersion: String?
        public var sizeBytes: Int64?
        public var migrations: [MigrationState]?
        /// Encoding, collation and settings of the working database.
        public var properties: DatabaseProperties?
        /// This project's databases that dpm was building or retiring when it was interrupted
        /// (never the user's own); `ProjectStatus.leftovers` says what each holds.
        public var leftovers: [String]?
        public var problem: String?
    }

    public struct StoreState: Codable, Sendable {
        public var url: String
        public var usable: Bool
        public var snapshots: Int?
        /// undecided, plaintext or encrypted (`StoreEncryptionState`), once the store is checked
        /// against dpm.yaml's encryption: (a mismatch is the store's problem).
        public var encryption: String?
        public var problem: String?
    }

    public var project: String
    public var store: StoreState
    public var database: DatabaseState
    public var media: String?
    /// Templates, stashes, attached databases and what the working database holds; nil
    /// when the server is unreachable.
    public var local: LocalStatus?
    public var profiles: [ProfileSummary]
    /// What killed dpm commands left (databases, scratch folders, partial objects); nil when
    /// the server is unreachable.
    public var leftovers: [Leftover]?

    /// Gathers the status; unreachable services are reported in the result, not thrown.
    public static func gather(project: Project, store: () throws -> ObjectStore, server: DatabaseServer, now: Date,
                              local: LocalDatabases? = nil, temporaryDirectory: String = NSTemporaryDirectory(),
                              extraPartials: [String] = []) -> ProjectStatus {
        var storeState = StoreState(url: project.config.store, usable: false)
        var partials = extraPartials
        do {
            let opened = try store()
            if let folder = opened.partialsFolder { partials.append(folder) }
            storeState.snapshots = try opened.list(prefix: "snapshots/").count
            storeState.encryption = try StoreEncryption(store: opened, config: project.config.encryption, identity: nil)
                .checkedState().rawValue
            storeState.usable = true
        } catch {
            storeState.problem = error.userMessage
        }

        var database = DatabaseState(name: server.defaultDatabase, server: server.displayName, reachable: false)
        do {
            database.serverVersion = try server.serverVersion().text
            database.reachable = true
            let exists = try server.databaseExists(server.defaultDatabase)
            database.exists = exists
            if exists {
                database.sizeBytes = try server.query("SELECT pg_database_size(current_database())", parameters: [], in: server.defaultDatabase)
                    .first?.first?.flatMap { Int64($0) }
                database.migrations = try MigrationDetector.detect(in: server.defaultDatabase, on: server)
                database.properties = try server.properties(of: server.defaultDatabase)
            }
        } catch {
            database.problem = error.userMessage
        }
        var leftovers: [Leftover]?
        if database.reachable, let local {
            do {
                let scan = LeftoverScan(server: server, connection: server, names: local.names, temporaryDirectory: temporaryDirectory,
                                        partialsFolders: partials, projectIdle: idle(local.names.stateDirectory, "lock"),
                                        refillIdle: idle(local.names.stateDirectory, "refill.lock"))
                leftovers = try scan.all()
                database.leftovers = leftovers?.filter { $0.kind == .database }.map(\.name)
            } catch {
                database.problem = error.userMessage
            }
        }
        var localStatus: LocalStatus?
        if database.reachable, let local {
            do {
                localStatus = try LocalStatus.gather(local)
            } catch {
                database.problem = error.userMessage
            }
        }
        return ProjectStatus(project: project.root, store: storeState, database: database, media: project.mediaDirectory,
                             local: localStatus, profiles: ProfileSummary.all(in: project, now: now), leftovers: leftovers)
    }

    /// Whether no dpm command holds the lock `name` now (taken for a moment, and given back).
    private static func idle(_ stateDirectory: String, _ name: String) -> Bool {
        guard FileManager.default.fileExists(atPath: "\(stateDirectory)/\(name)") else { return true }
        return (try? ProjectLock.acquire("\(stateDirectory)/\(name)", timeout: 0.05)) != nil
    }
}
