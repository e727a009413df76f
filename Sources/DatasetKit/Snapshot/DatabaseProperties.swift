/// What a database is, beside what it holds: its encoding, its collation and the settings
/// `ALTER DATABASE … SET` gave it. A snapshot records them so that a restore sorts and
/// compares text as the source did.
public struct DatabaseProperties: Codable, Sendable, Equatable {
    public enum LocaleProvider: String, Codable, Sendable {
        case libc, icu, builtin
    }

    /// e.g. "UTF8", "LATIN1"
    public var encoding: String
    public var localeProvider: LocaleProvider
    /// LC_COLLATE and LC_CTYPE (libc's, also kept by ICU databases).
    public var collate: String
    public var ctype: String
    /// The ICU (or builtin) locale, e.g. "de-DE", when the provider is not libc.
    public var locale: String?
    /// `ALTER DATABASE … SET` settings as PostgreSQL keeps them ("search_path=app, public"),
    /// in order.
    public var settings: [String]
    /// The database's own comment (never one of dpm's labels).
    public var comment: String?

    public init(encoding: String, localeProvider: LocaleProvider, collate: String, ctype: String, locale: String? = nil,
                settings: [String] = [], comment: String? = nil) {
        self.encoding = encoding
        self.localeProvider = localeProvider
        self.collate = collate
        self.ctype = ctype
        self.locale = locale
        self.settings = settings
        self.comment = comment
    }

    /// "UTF8, ICU de-DE" or "LATIN1, C": how text is stored and sorted, for messages.
    public var summary: String {
        switch localeProvider {
        case .libc: collate == ctype ? "\(encoding), \(collate)" : "\(encoding), collate \(collate), ctype \(ctype)"
        case .icu: "\(encoding), ICU \(locale ?? "?")"
        case .builtin: "\(encoding), builtin \(locale ?? "?")"
        }
    }

    /// The settings' names, e.g. ["search_path", "work_mem"].
    public var settingNames: [String] { settings.map { String($0.prefix { $0 != "=" }) } }
}

extension DatabaseProperties {
    /// Gives a filled database the source's settings (its comment is the caller's: most of
    /// dpm's databases carry a label there). A setting the server refuses (an extension's
    /// parameter that is not installed here) is reported, not fatal: the data is there either way.
    static func applySettings(_ properties: DatabaseProperties?, to database: String, on server: DatabaseCatalog,
                              note: (String) -> Void) throws {
        guard let properties else { return }
        let refused = try server.applySettings(properties.settings, to: database)
        if !refused.isEmpty {
            note("The source database's settings \(refused.joined(separator: "; ")) could not be set on \(database); the rest were.")
        }
    }
}

/// What a server used instead of a source's collation it cannot provide.
public struct DatabaseFallback: Sendable, Equatable {
    public let wanted: DatabaseProperties
    /// nil: the server's defaults.
    public let used: DatabaseProperties?
    /// The server's words, e.g. `invalid locale name: "de_DE.ISO-8859-1"`.
    public let reason: String

    public init(wanted: DatabaseProperties, used: DatabaseProperties?, reason: String) {
        self.wanted = wanted
        self.used = used
        self.reason = reason
    }

    /// One sentence about `database`, the database the user asked for.
    public func note(for database: String) -> String {
        let instead = used.map { "uses \($0.summary) instead, so text sorts bytewise rather than as in the source" }
            ?? "has the server's default encoding and locale instead, so text may sort and compare differently"
        return "This server cannot create a database with the source's collation \(wanted.summary) (\(reason)); \(database) \(instead)."
    }
}
