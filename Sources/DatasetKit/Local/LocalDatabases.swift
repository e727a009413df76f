import Foundation

/// What the local workflows (use, undo, stash, attach, cache) share: the server, the names
/// beside the working database, the project lock and a few careful steps.
public struct LocalDatabases: Sendable {
    public let workspace: Workspace
    /// Every database these workflows rename, clone, label or drop.
    public let server: DatabaseCatalog
    /// Statistics (tables written, pristine marks) and migration counts.
    let query: DatabaseQuery
    let connection: ServerConnectionInfo
    /// Loads a snapshot into a new template, with that many parallel jobs.
    let loader: @Sendable (Int) -> any SnapshotLoading
    public let names: LocalNames
    /// The post-restore hooks a template build and a copy put in place run (`use`, `attach`);
    /// none unless the command sets them.
    public var hooks = PostRestoreHooks.none

    public init(workspace: Workspace, server: DatabaseServer) throws {
        try self.init(workspace: workspace, catalog: server, query: server, connection: server,
                      loader: SnapshotLoader.maker(workspace: workspace, server: server))
    }

    init(workspace: Workspace, catalog server: DatabaseCatalog, query: DatabaseQuery, connection: ServerConnectionInfo,
         loader: @escaping @Sendable (Int) -> any SnapshotLoading) throws {
        try DatabaseNames.validate(server.defaultDatabase)
        // Stashes and attached databases keep their media in a folder named after them.
        guard FilePath.isPlainName(server.defaultDatabase) else {
            throw DPMError.invalidInput("The working database name \"\(server.defaultDatabase)\" cannot be part of a folder name (it is \".\", \"..\" or contains \"/\"), which dpm's stashes and attached databases need; use another database name in dpm.yaml.")
        }
        self.workspace = workspace
        self.server = server
        self.query = query
        self.connection = connection
        self.loader = loader
        names = LocalNames(working: server.defaultDatabase, stateDirectory: workspace.project.stateDirectory)
    }

    var working: String { names.working }

    /// Serializes the commands that rename or drop local databases in this project.
    func lockProject() throws -> ProjectLock {
        try ProjectLock.localDatabases(names, note: workspace.note)
    }

    /// The project lock, with what a killed switch left finished or rolled back first: its
    /// media half, and (with `recycling`) a stash recycling or rebuild.
    func lockAndRepair(recycling: Bool = true) throws -> ProjectLock {
        let lock = try lockProject()
        try SwitchJournal.repair(self)
        if recycling { try StashRecycling.repair(self) }
        return lock
    }

    func catalog() throws -> LocalCatalog { try LocalCatalog.load(server: server, names: names) }

    func timestamp() -> String { Timestamp.precise(workspace.now()) }

    /// Drops one of dpm's databases, and the folder dpm keeps for it under .dpm (stashes and
    /// attached databases keep their media in one, named after the database, never taken
    /// from the label).
    func drop(_ item: LocalCatalog.Item) throws {
        if item.isTemplate { try server.setTemplate(item.name, false) }
        try server.dropDatabase(item.name)
        if let folder = names.ownFolder(of: item) { FolderMoves.remove(folder) }
    }

    /// Databases that a command holding the project lock was building when it died
    /// (`<db>__dpm_<purpose>_<8 hex>`): only such commands make these names, so none is in
    /// use now. Templates among them are unmarked first, or they could not be dropped.
    func dropLeftovers(of purposes: [String]) {
        for purpose in purposes {
            for name in (try? server.databaseNames(matching: names.buildingPattern(purpose))) ?? [] {
                try? server.setTemplate(name, false)
                dropIfPresent(name)
            }
        }
    }

    /// Tables with rows inserted, updated or deleted since the database was made (from
    /// PostgreSQL's statistics, which a clone starts afresh and a server crash resets);
    /// `public.` left off.
    func tablesWritten(in database: String) throws -> [String] {
        try query.query("""
            SELECT schemaname || '.' || relname FROM pg_stat_user_tables
            WHERE n_tup_ins + n_tup_upd + n_tup_del > 0 ORDER BY 1
            """, parameters: [], in: database).compactMap { $0.first ?? nil }
            .map { $0.hasPrefix("public.") ? String($0.dropFirst(7)) : $0 }
    }

    func dropIfPresent(_ name: String) {
        if (try? server.databaseExists(name)) == true { try? server.dropDatabase(name) }
    }

    /// Switching renames and clones databases: refuse up front, naming the role, when it may not.
    func requireCreatePrivilege(for command: String) throws {
        let privilege = try server.createPrivilege()
        guard privilege.allowed else {
            throw DPMError.permissionDenied("The role \(privilege.role) cannot create databases, which dpm \(command) needs (it clones and renames them); a superuser can grant it with ALTER ROLE \(privilege.role) CREATEDB.")
        }
    }

    /// Refuses when other sessions use `database`, naming them; with `force`, ends them.
    func clearSessions(on database: String, force: Bool, what: String) throws {
        let sessions = try server.sessions(on: database)
        guard !sessions.isEmpty else { return }
        guard force else {
            let list = sessions.prefix(5).map(\.summary).joined(separator: "; ")
            let more = sessions.count > 5 ? "; and \(sessions.count - 5) more" : ""
            let count = sessions.count == 1 ? "an open connection" : "\(sessions.count) open connections"
            throw DPMError.inUse("\(what) \(database) has \(count) (\(list)\(more)); close \(sessions.count == 1 ? "it" : "them"), or add --force to end \(sessions.count == 1 ? "it" : "them").")
        }
        try server.terminateConnections(to: database)
    }

    /// Applies catalog changes atomically; with `force`, sessions that reconnect in between
    /// are ended again (a few times) instead of failing the switch.
    func apply(_ changes: [CatalogChange], sessionsOn database: String?, force: Bool,
               afterEach: (Int) throws -> Void = { _ in }) throws {
        for attempt in 1...5 {
            if let database { try clearSessions(on: database, force: force, what: "The database") }
            do {
                return try server.applyAtomically(changes, afterEach: afterEach)
            } catch let error as DPMError where error.kind == .inUse {
                if !force || attempt == 5 { throw error }
            }
        }
    }

    /// Refuses before any work when the media folder cannot be swapped by rename.
    func checkMediaFileSystem(_ mediaTarget: String?) throws {
        guard let mediaTarget else { return }
        try createFolder(names.stateDirectory, purpose: "dpm's local state folder", permissions: 0o700)
        let parent = FilePath.parent(mediaTarget)
        if let media = FolderMoves.device(of: parent), let state = FolderMoves.device(of: names.stateDirectory), media != state {
            throw DPMError.invalidInput("The media folder \(mediaTarget) is on another file system than \(names.stateDirectory); dpm swaps media folders by rename, so both must be on the same file system.")
        }
    }
}

extension ProjectLock {
    /// The lock that `use`, `undo`, `restore`, `attach`, `squash` and `cleanup` take before
    /// they rename or drop local databases, saying so when another command holds it.
    static func localDatabases(_ names: LocalNames, note: (String) -> Void) throws -> ProjectLock {
        try acquire(names.lockFile) { note("Waiting for another dpm command in this project to finish…") }
    }
}
