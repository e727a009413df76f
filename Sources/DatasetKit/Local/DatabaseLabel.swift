import Foundation

/// What dpm knows about one of its local databases, kept in the database itself as its
/// `COMMENT ON DATABASE` ("dpm " + JSON). The label travels with the database through
/// renames and disappears with it, so the server stays the source of truth even when
/// someone drops or renames databases by hand.
public struct DatabaseLabel: Codable, Sendable, Equatable {
    public enum Role: String, Codable, Sendable {
        /// A restored snapshot, closed to connections, cloned by `use` and `attach`.
        case template
        /// A ready clone of a template, waiting to be renamed into place.
        case spare
        /// The working database, as `use` or `undo` left it.
        case working
        /// A former working database, kept for `undo`.
        case stash
        /// A snapshot restored beside the working database by `attach`.
        case attached
        /// A database `restore` is building for `target`; it takes the target's name only when complete.
        case restoring
        /// What `target` held before `restore --force` replaced it, until it is dropped.
        case retired
        /// A scratch database of a running command (`owner`), dropped when it ends.
        case scratch
    }

    public var role: Role
    /// The working database this label belongs to (several projects may share a server).
    public var working: String
    /// The profile whose data the database holds; nil for a database dpm did not fill.
    public var profile: String?
    /// The snapshot id (or, for clean profiles, the key of the files in git).
    public var snapshot: String?
    public var kind: ProfileKind?
    /// When the content was switched in, stashed, attached or built.
    public var since: String
    /// Templates: when a switch or attach last used it, for pruning and choosing spares.
    public var lastUsed: String?
    /// Stashes and attached databases: the media folder that belongs to them.
    public var media: String?
    /// The switch that made this working database, to finish or roll back an interrupted one.
    public var token: String?
    /// How many migration versions the content had applied when dpm built it, so that
    /// `status` can tell how many were applied since.
    public var migrations: Int?
    /// Restoring and retired databases: the database the restore replaces.
    public var target: String?
    /// Scratch databases: the process that uses it, "host:pid", so that a leftover can be told from one in use.
    public var owner: String?
    /// Working databases switched in as an untouched copy of a template: what they held
    /// then, so that their stash can be recycled if nothing changed.
    public var pristine: PristineMark?
    /// Templates: a digest of the post_restore hooks that ran on it when it was built (see
    /// `PostRestoreHooks.templateRecord`); nil when none ran.
    public var hooks: String?

    public init(role: Role, working: String, profile: String? = nil, snapshot: String? = nil, kind: ProfileKind? = nil,
                since: String, lastUsed: String? = nil, media: String? = nil, token: String? = nil, migrations: Int? = nil,
                target: String? = nil, owner: String? = nil, pristine: PristineMark? = nil, hooks: String? = nil) {
        self.role = role
        self.working = working
        self.profile = profile
        self.snapshot = snapshot
        self.kind = kind
        self.since = since
        self.lastUsed = lastUsed
        self.media = media
        self.token = token
        self.migrations = migrations
        self.target = target
        self.owner = owner
        self.pristine = pristine
        self.hooks = hooks
    }

    static let prefix = "dpm "

    public var commentText: String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return Self.prefix + String(decoding: (try? encoder.encode(self)) ?? Data(), as: UTF8.self)
    }

    /// The label in a database comment; nil when the comment is not dpm's.
    public static func parse(_ comment: String?) -> DatabaseLabel? {
        guard let comment, comment.hasPrefix(prefix) else { return nil }
        return try? JSONDecoder().decode(DatabaseLabel.self, from: Data(comment.dropFirst(prefix.count).utf8))
    }

    /// "user-generated 20261122T101500Z-a1b2c3", or "a database dpm did not fill".
    public var contentDescription: String {
        guard let profile else { return "a database dpm did not fill" }
        return snapshot.map { "\(profile) \($0)" } ?? profile
    }
}
