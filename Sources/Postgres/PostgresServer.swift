import DatasetKit
import Foundation

/// `DatabaseServer` over libpq and the PostgreSQL client tools.
public final class PostgresServer: DatabaseServer, @unchecked Sendable {
    public let settings: ConnectionSettings
    private let clientSettings: PostgresClientSettings
    private let cachedVersion = Locked<ServerVersion?>(nil)
    /// One connection to the maintenance database, reused: a switch makes several catalog
    /// calls and must stay within milliseconds.
    private let maintenance = Locked<Connection?>(nil)
    private let locatedTools = Locked<[String: String]>([:])
    /// psql's version, asked once: a clean profile loads in three psql runs.
    let psqlVersion = Locked<PsqlVersion?>(nil)

    public init(settings: ConnectionSettings, clientTools: PostgresClientSettings = PostgresClientSettings(environment: [:])) {
        self.settings = settings
        self.clientSettings = clientTools
    }

    public var displayName: String { "\(settings.location) as \(settings.user)" }

    public var isOnThisMachine: Bool { settings.isOnThisMachine }
    public var defaultDatabase: String { settings.database }

    /// A connection to `database`; the maintenance database when nil.
    func connect(_ database: String?) throws -> Connection {
        if let database { return try Connection(settings.with(database: database)) }
        do {
            return try Connection(settings.with(database: "postgres"))
        } catch {
            // Some servers have no "postgres" database; any other failure is the one to report.
            guard let fallback = try? Connection(settings.with(database: "template1")) else { throw error }
            return fallback
        }
    }

    public func serverVersion() throws -> ServerVersion {
        if let version = cachedVersion.current { return version }
        let connection = try connect(nil)
        let text = try connection.query("SHOW server_version").first?.first??.description ?? "unknown"
        let version = ServerVersion(number: connection.serverVersionNumber, text: text)
        cachedVersion.withValue { $0 = version }
        return version
    }

    func tools() throws -> ClientTools {
        ClientTools(serverMajor: try serverVersion().major, settings: clientSettings, located: locatedTools)
    }

    /// Runs `body` on the shared maintenance connection, opening it on first use.
    func withMaintenance<T>(_ body: (Connection) throws -> T) throws -> T {
        try maintenance.withValue { connection in
            if connection == nil { connection = try connect(nil) }
            return try body(connection!)
        }
    }

    public var commandLineOptions: [String] { ["-h", settings.host, "-p", settings.port, "-U", settings.user] }

    public func connectionURI(for database: String) -> String {
        settings.with(database: database).uri
    }

    /// Runs a client tool's `body` with its `--dbname` argument for `database` and its
    /// environment: the password in PGPASSWORD, other secrets in a 0600 service file
    /// (`ClientSecrets`), none of them on argv.
    @discardableResult
    func withClient<T>(_ database: String, _ body: (_ dbArgument: String, _ environment: [String: String]) throws -> T) throws -> T {
        let target = settings.with(database: database)
        var environment = target.childEnvironment
        guard let secrets = try ClientSecrets(target.toolSecrets) else { return try body("--dbname=\(target.conninfo)", environment) }
        defer { secrets.remove() }
        environment["PGSERVICEFILE"] = secrets.path
        return try body("--dbname=\(target.conninfo) service=\(ClientSecrets.service)", environment)
    }
}
