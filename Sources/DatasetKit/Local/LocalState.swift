import Foundation

/// `.dpm/state.json`: what dpm last did in this checkout, written atomically after each
/// switch. The databases' labels are the truth; this file lets `status` notice when the
/// two disagree (a template or the working database changed by hand).
public struct LocalState: Codable, Sendable, Equatable {
    public struct Active: Codable, Sendable, Equatable {
        public var profile: String?
        public var snapshot: String?
        public var since: String
        /// The switch created the working database (there was none to stash), so there is
        /// nothing to undo to.
        public var createdDatabase: Bool?
    }

    /// A stash that held nothing but an unchanged copy of a template, so dpm did not keep
    /// its database: `undo` rebuilds it from the template (or takes its spare).
    public struct RecycledStash: Codable, Sendable, Equatable {
        /// The database name it had as a stash (its id is the time part).
        public var stash: String
        public var profile: String
        public var snapshot: String
        public var kind: ProfileKind?
        public var migrations: Int?
        /// When it was switched in, and when it was stashed.
        public var switchedIn: String
        public var stashedAt: String
        /// Whether a media folder went with it (the template's media, unchanged).
        public var media: Bool
        /// Recorded before its database is renamed or dropped; cleared when that is done.
        public var pending: Bool?
        /// The switch that is bringing it back; the record goes once that switch committed.
        public var consumedBy: String?
    }

    public var working: String
    public var active: Active?
    /// Templates dpm built for this working database, so that one dropped by hand is noticed.
    public var templates: [String]
    /// Newest last.
    public var recycled: [RecycledStash]?

    public init(working: String, active: Active? = nil, templates: [String] = []) {
        self.working = working
        self.active = active
        self.templates = templates
    }

    static func path(_ names: LocalNames) -> String { "\(names.stateDirectory)/state.json" }

    /// The state for this working database; empty when the file is missing, unreadable or
    /// about another database (dpm.yaml changed).
    public static func load(_ names: LocalNames) -> LocalState {
        guard let data = FileManager.default.contents(atPath: path(names)),
              let state = try? JSONDecoder().decode(LocalState.self, from: data), state.working == names.working
        else { return LocalState(working: names.working) }
        return state
    }

    func save(_ names: LocalNames) throws {
        // Not fsynced: the databases' labels are the truth, and this file only lets status
        // notice changes made outside dpm.
        try AtomicFile.write(try CanonicalJSON.encode(self), to: Self.path(names), mode: 0o600, durable: false)
    }

    static func update(_ names: LocalNames, _ change: (inout LocalState) -> Void) throws {
        var state = load(names)
        change(&state)
        state.templates = Array(Set(state.templates)).sorted()
        try state.save(names)
    }
}
