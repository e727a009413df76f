/// Where dpm finds the PostgreSQL client tools, and the libpq variables it predicts libpq's
/// choices from (for messages, URIs and the default database; libpq reads them itself too).
public struct PostgresClientSettings: Sendable, Equatable {
    /// DPM_PG_BIN: the one folder searched for pg_dump, pg_restore and psql.
    public var toolFolder: String?
    /// PATH, searched after the Debian folder of the server's major version.
    public var searchPath: [String]
    public var libpq: LibpqVariables

    public init(toolFolder: String?, searchPath: [String], libpq: LibpqVariables) {
        self.toolFolder = toolFolder
        self.searchPath = searchPath
        self.libpq = libpq
    }

    public init(environment: [String: String]) {
        self.init(toolFolder: nonEmpty(environment["DPM_PG_BIN"]),
                  searchPath: (environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":").map(String.init),
                  libpq: LibpqVariables(environment: environment))
    }
}

/// PGSERVICE, PGDATABASE, PGUSER, PGHOST and PGPORT as set (libpq treats some empty values
/// as unset and others not, so they are kept as they are).
public struct LibpqVariables: Sendable, Equatable {
    public var service: String?
    public var database: String?
    public var user: String?
    public var host: String?
    public var port: String?

    public init(service: String? = nil, database: String? = nil, user: String? = nil, host: String? = nil, port: String? = nil) {
        self.service = service
        self.database = database
        self.user = user
        self.host = host
        self.port = port
    }

    public init(environment: [String: String]) {
        self.init(service: environment["PGSERVICE"], database: environment["PGDATABASE"], user: environment["PGUSER"],
                  host: environment["PGHOST"], port: environment["PGPORT"])
    }
}
