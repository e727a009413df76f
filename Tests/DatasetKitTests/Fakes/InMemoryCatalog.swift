@testable import DatasetKit
import Foundation

/// A PostgreSQL server's databases in memory, for unit tests of the plans that rename,
/// clone, label and drop them. It refuses what PostgreSQL refuses where dpm relies on it:
/// a name that is taken, a database (or clone source) with other sessions, dropping a
/// template; `applyAtomically` is all or nothing, and what a crash keeps is only what
/// committed (`committed()`).
final class InMemoryCatalog: DatabaseCatalog, @unchecked Sendable {
    /// One database: what dpm sees of it, plus the content and work the tests follow.
    struct Database: Equatable {
        var comment: String?
        var isTemplate = false
        var properties: DatabaseProperties?
        var settings: [String] = []
        /// What it holds, e.g. "ug 20261122T101500Z-aaaaaa"; a clone copies it.
        var content: String
        /// Tables the user wrote to since it was made; a clone starts afresh (PostgreSQL's statistics do).
        var tablesWritten: [String] = []
        /// Catalog rows added since it was made (a user's CREATE TABLE).
        var catalogChanges = 0
        var sessions: [DatabaseSession] = []
    }

    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    let defaultDatabase: String
    private let lock = NSLock()
    private var databases: [String: Database] = [:]
    /// Inside `applyAtomically`: the transaction's own view, committed at its end.
    private var transaction: [String: Database]?
    private var calls = 0
    private var faults: [Int: Error] = [:]
    private var failingChange: Int?
    var createAllowed = true
    /// Names a statement of a killed client still runs on (`isBusy`).
    var busyNames: Set<String> = []
    /// Sessions that reconnect after `terminateConnections` (a pool that retries).
    var reconnecting: [String: DatabaseSession] = [:]
    private var nextPid = 1000
    private var xid = 5000

    init(defaultDatabase: String) {
        self.defaultDatabase = defaultDatabase
    }

    // MARK: Test controls

    /// The databases as a crash at this moment would leave them: an open transaction rolls back.
    func committed() -> [String: Database] { locked { databases } }

    func restore(_ state: [String: Database]) { locked { databases = state; transaction = nil } }

    var all: [String: Database] { locked { transaction ?? databases } }

    subscript(name: String) -> Database? { all[name] }

    /// Makes a database as if by hand (or by another tool).
    func add(_ name: String, _ database: Database) { locked { databases[name] = database } }

    func update(_ name: String, _ change: (inout Database) -> Void) {
        locked {
            guard var database = databases[name] else { return }
            change(&database)
            databases[name] = database
        }
    }

    /// A user session on `name`: renaming or dropping it now fails as "in use".
    @discardableResult
    func openSession(on name: String, application: String = "app") -> DatabaseSession {
        locked {
            nextPid += 1
            let session = DatabaseSession(pid: nextPid, user: "tester", application: application, client: "127.0.0.1")
            databases[name]?.sessions.append(session)
            return session
        }
    }

    /// The `n`th call from now (1 is the next one) throws `error` instead of doing anything.
    func failCall(_ n: Int, with error: Error = Failure(description: "injected failure")) {
        locked { faults[calls + n] = error }
    }

    /// The next transaction fails at its change number `index` (0 is the first), as one whose
    /// rename meets a name taken in between.
    func failTransaction(atChange index: Int) { locked { failingChange = index } }

    /// The user writes to `table` of `name`.
    func write(_ table: String, in name: String) { update(name) { $0.tablesWritten.append(table) } }

    // MARK: DatabaseCatalog

    func databaseExists(_ name: String) throws -> Bool { try call { $0[name] != nil } }

    func databaseNames(matching pattern: String) throws -> [String] {
        try call { state in state.keys.filter { Self.matches($0, pattern) }.sorted() }
    }

    func createDatabase(_ name: String) throws {
        try call { state in
            try Self.requireFree(name, in: state)
            state[name] = Database(content: "empty")
        }
    }

    func createDatabase(_ name: String, like properties: DatabaseProperties?) throws -> DatabaseFallback? {
        try call { state in
            try Self.requireFree(name, in: state)
            state[name] = Database(properties: properties, content: "empty")
            return nil
        }
    }

    func properties(of database: String) throws -> DatabaseProperties {
        try call { state in
            let found = try Self.require(database, in: state)
            return found.properties ?? DatabaseProperties(encoding: "UTF8", localeProvider: .libc, collate: "C", ctype: "C",
                                                          locale: nil, settings: found.settings, comment: nil)
        }
    }

    func applySettings(_ settings: [String], to database: String) throws -> [String] {
        try call { state in
            _ = try Self.require(database, in: state)
            state[database]?.settings += settings
            return []
        }
    }

    func setComment(_ comment: String?, on database: String) throws {
        try call { state in try Self.apply(.comment(on: database, comment), to: &state) }
    }

    func renameDatabase(_ name: String, to newName: String) throws {
        try call { state in try Self.apply(.rename(name, to: newName), to: &state) }
    }

    func dropDatabase(_ name: String) throws {
        try call { state in
            let found = try Self.require(name, in: state)
            if found.isTemplate { throw Failure(description: "Cannot drop \(name): cannot drop a template database.") }
            try Self.requireNoSessions(found, name, action: "drop \(name)")
            state[name] = nil
        }
    }

    func terminateConnections(to name: String) throws {
        try call { state in
            state[name]?.sessions = []
            if let again = reconnecting[name] { state[name]?.sessions = [again] }
        }
    }

    func catalog(named exactly: String, orMatching pattern: String) throws -> [DatabaseEntry] {
        try call { state in
            state.filter { name, database in
                name == exactly || Self.matches(name, pattern) || database.comment?.hasPrefix("dpm {") == true
            }.map { DatabaseEntry(name: $0.key, comment: $0.value.comment, isTemplate: $0.value.isTemplate) }
                .sorted { $0.name < $1.name }
        }
    }

    func databaseSize(_ name: String) throws -> Int64 {
        try call { state in
            _ = try Self.require(name, in: state)
            return 8_000_000
        }
    }

    func cloneDatabase(from template: String, to name: String) throws {
        try call { state in
            let source = try Self.require(template, in: state)
            try Self.requireNoSessions(source, template, action: "copy \(template)")
            try Self.requireFree(name, in: state)
            state[name] = Database(properties: source.properties, settings: source.settings, content: source.content)
        }
    }

    func setTemplate(_ name: String, _ isTemplate: Bool) throws {
        try call { state in
            _ = try Self.require(name, in: state)
            state[name]?.isTemplate = isTemplate
        }
    }

    func applyAtomically(_ changes: [CatalogChange], afterEach: (Int) throws -> Void) throws {
        try countCall()
        var working = locked { databases }
        let failing = locked { defer { failingChange = nil }; return failingChange }
        // Whatever ends the transaction early (a refused change, a crash test's stop) rolls it back.
        defer { locked { transaction = nil } }
        for (index, change) in changes.enumerated() {
            if index == failing { throw Failure(description: "database \"\(change)\" already exists") }
            try Self.apply(change, to: &working)
            locked { transaction = working }
            try afterEach(index)
        }
        locked { databases = working }
    }

    func sessions(on database: String) throws -> [DatabaseSession] { try call { $0[database]?.sessions ?? [] } }

    func isBusy(with name: String) throws -> Bool {
        try call { _ in
            defer { busyNames.remove(name) }
            return busyNames.contains(name)
        }
    }

    func createPrivilege() throws -> (role: String, allowed: Bool) { try call { _ in ("tester", createAllowed) } }

    // MARK: PostgreSQL's rules

    private static func apply(_ change: CatalogChange, to state: inout [String: Database]) throws {
        switch change {
        case .rename(let name, let newName):
            let found = try require(name, in: state)
            try requireFree(newName, in: state)
            try requireNoSessions(found, name, action: "rename \(name)")
            state[name] = nil
            state[newName] = found
        case .comment(let name, let comment):
            _ = try require(name, in: state)
            state[name]?.comment = comment
        }
    }

    private static func require(_ name: String, in state: [String: Database]) throws -> Database {
        guard let found = state[name] else { throw Failure(description: "database \"\(name)\" does not exist") }
        return found
    }

    private static func requireFree(_ name: String, in state: [String: Database]) throws {
        if state[name] != nil { throw Failure(description: "database \"\(name)\" already exists") }
    }

    private static func requireNoSessions(_ database: Database, _ name: String, action: String) throws {
        guard !database.sessions.isEmpty else { return }
        let count = database.sessions.count
        throw DPMError.inUse("Cannot \(action): database \"\(name)\" is being accessed by other users (There \(count == 1 ? "is 1 other session" : "are \(count) other sessions") using the database.).", sqlState: "55006")
    }

    static func matches(_ name: String, _ pattern: String) -> Bool {
        name.range(of: pattern, options: .regularExpression) != nil
    }

    // MARK: Calls

    private func countCall() throws {
        try locked {
            calls += 1
            if let fault = faults.removeValue(forKey: calls) { throw fault }
        }
    }

    /// One statement outside a transaction: it commits, or changes nothing.
    private func call<T>(_ body: (inout [String: Database]) throws -> T) throws -> T {
        try countCall()
        return try locked {
            var state = transaction ?? databases
            let result = try body(&state)
            if transaction == nil { databases = state }
            return result
        }
    }

    func nextXid() -> Int { locked { xid += 1; return xid } }

    private func locked<T>(_ body: () throws -> T) rethrows -> T {
        lock.lock()
        defer { lock.unlock() }
        return try body()
    }
}
