import Foundation

/// The settings in `dpm.yaml`, after environment overrides.
public struct ProjectConfig: Sendable, Equatable {
    /// A libpq connection string or URI; nil means libpq's defaults (PGHOST, PGDATABASE, ...).
    public var database: String?
    public var store: String
    public var media: String?
    public var migrationsDir: String
    public var migrationsTable: String?
    /// An external migration tool (e.g. `bin/rails db:migrate`), run with the target database in
    /// PGHOST/PGPORT/PGDATABASE/PGUSER and DATABASE_URL; nil means dpm's built-in runner.
    public var migrationsCommand: String?
    /// Apply pending migrations after every restore, use and attach.
    public var migrateAfterRestore = false
    public var endpoint: String?
    /// `encryption:`: the recipients an encrypted store is readable by; nil for a plaintext store.
    public var encryption: EncryptionConfig?
    /// `retention:`: the rules `dpm prune` applies when its flags do not say otherwise.
    public var retention = RetentionPolicy()
    /// `hooks:`: commands run after restore, use and attach fill a database.
    public var hooks = HooksConfig()

    public static let fileName = "dpm.yaml"
    public static let defaultStore = "file:.dpm/store"

    public init(database: String? = nil, store: String = ProjectConfig.defaultStore, media: String? = nil,
                migrationsDir: String = "db/migrations", migrationsTable: String? = nil, endpoint: String? = nil) {
        self.database = database
        self.store = store
        self.media = media
        self.migrationsDir = migrationsDir
        self.migrationsTable = migrationsTable
        self.endpoint = endpoint
    }

    /// Reads `dpm.yaml`, then applies `overrides` (DPM_DATABASE_URL and DPM_STORE); `connectionStrings`
    /// finds a password in the committed database setting.
    public static func load(path: String, overrides: ProjectOverrides, connectionStrings: ConnectionStringReader) throws -> ProjectConfig {
        let file = try YAMLFile(path: path, displayName: path)
        try file.rejectUnknownKeys(allowed: ["database", "store", "media", "migrations", "endpoint", EncryptionConfig.key, RetentionPolicy.key,
                                                  HooksConfig.key])
        var config = ProjectConfig()
        config.database = try file.string("database")
        if let store = try file.string("store") { config.store = store }
        config.media = try file.string("media")
        config.endpoint = try file.string("endpoint")
        if let node = file.root["migrations"] {
            guard let mapping = node.mapping else {
                throw file.error("migrations", "\"migrations\" must be a mapping with dir and table")
            }
            for (key, value) in mapping {
                switch key.string {
                case "dir":
                    guard let dir = value.string, !dir.isEmpty else { throw file.error("migrations", "migrations.dir must be a folder path") }
                    config.migrationsDir = dir
                case "table":
                    guard let table = value.string, table.range(of: "^[A-Za-z_][A-Za-z0-9_]*$", options: .regularExpression) != nil else {
                        throw file.error("migrations", "migrations.table must be a plain table name (letters, digits, _)")
                    }
                    config.migrationsTable = table
                case "command":
                    guard let command = value.string, !command.trimmingCharacters(in: .whitespaces).isEmpty else {
                        throw file.error("migrations", "migrations.command must be a command line, e.g. \"bin/rails db:migrate\"")
                    }
                    config.migrationsCommand = command
                case "migrate_after_restore":
                    guard let flag = value.bool else { throw file.error("migrations", "migrations.migrate_after_restore must be true or false") }
                    config.migrateAfterRestore = flag
                default:
                    throw file.error("migrations", "unknown setting \"migrations.\(key.string ?? "?")\" (known: dir, table, command, migrate_after_restore)")
                }
            }
        }
        if let node = file.root[EncryptionConfig.key] {
            config.encryption = try EncryptionConfig.parse(node, in: file)
        }
        if let node = file.root[RetentionPolicy.key] {
            config.retention = try RetentionPolicy.parse(node, in: file)
        }
        if let node = file.root[HooksConfig.key] {
            config.hooks = try HooksConfig.parse(node, in: file)
        }
        if let database = config.database, ConnectionString.containsSecret(database, reader: connectionStrings) {
            throw file.error("database", "the connection string contains a password; dpm.yaml is committed, so put the password in ~/.pgpass, PGPASSFILE or PGPASSWORD (an sslpassword in a service file named by PGSERVICEFILE) instead")
        }
        if let url = overrides.database { config.database = url }
        if let store = overrides.store { config.store = store }
        return config
    }

    /// The text `dpm init` writes.
    public func yaml() -> String {
        var text = "# dpm project settings. Commit this file; never put a password here\n"
        text += "# (use ~/.pgpass, PGPASSFILE or PGPASSWORD). DPM_DATABASE_URL and DPM_STORE override.\n"
        text += "database: \(yamlQuoted(database ?? ""))\n"
        text += "store: \(yamlQuoted(store))\n"
        if let media { text += "media: \(yamlQuoted(media))\n" } else { text += "# media: media\n" }
        if let endpoint { text += "endpoint: \(yamlQuoted(endpoint))\n" }
        text += "migrations:\n  dir: \(yamlQuoted(migrationsDir))\n"
        if let migrationsTable { text += "  table: \(yamlQuoted(migrationsTable))\n" }
        return text
    }
}

func yamlQuoted(_ text: String) -> String {
    "\"" + text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
}

public enum ConnectionString {
    /// Whether `conninfo` carries a secret: as libpq reads it (a multi-host URI included), or,
    /// when libpq cannot parse it, anywhere a password could be written.
    public static func containsSecret(_ conninfo: String, reader: ConnectionStringReader) -> Bool {
        if let keywords = reader.secretKeywords(in: conninfo) { return !keywords.isEmpty }
        return !Redaction.secretFragments(of: conninfo).isEmpty
    }
}
