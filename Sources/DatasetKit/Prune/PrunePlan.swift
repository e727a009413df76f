import Foundation

/// The decision of `dpm prune` for one profile, from what was listed: which records stay and
/// why, which go. Pure, so every rule is unit-tested without a store.
public struct PrunePlan: Sendable, Equatable {
    /// One record as the decision sees it.
    public struct Candidate: Sendable, Equatable {
        public let id: String
        /// The time in its record; nil when the record could not be read (it is then kept).
        public let createdAt: Date?
        public let tags: [String]

        public init(id: String, createdAt: Date?, tags: [String]) {
            self.id = id
            self.createdAt = createdAt
            self.tags = tags
        }
    }

    public struct Decision: Sendable, Equatable {
        public let id: String
        /// Why it stays (`last 3`, `within 90d`, `tag contract-7`, `pinned by main, working tree`); empty: removed.
        public let reasons: [String]
        public var kept: Bool { !reasons.isEmpty }
    }

    /// Newest first.
    public let decisions: [Decision]

    public var removed: [String] { decisions.filter { !$0.kept }.map(\.id) }

    /// Keeps a record when any rule of `policy` keeps it, when a manifest pins it (`pins`: id →
    /// where), when it could not be read, and, unless `keep-last 0` was given, the newest one
    /// (removing a profile's every record is only ever asked for by name).
    public init(_ candidates: [Candidate], policy: RetentionPolicy, pins: [String: [String]], now: Date) {
        // Ids begin with their time, so they sort as the records were made.
        let newestFirst = candidates.sorted { $0.id > $1.id }
        decisions = newestFirst.enumerated().map { position, candidate in
            var reasons: [String] = []
            if let count = policy.keepLast, position < count { reasons.append("last \(count)") }
            if policy.keepLast == nil, position == 0 { reasons.append("newest") }
            if let within = policy.keepWithin, let date = candidate.createdAt, within.contains(date, now: now) {
                reasons.append("within \(within)")
            }
            if policy.keepTagged == true { reasons += candidate.tags.sorted().map { "tag \($0)" } }
            if let places = pins[candidate.id], !places.isEmpty { reasons.append("pinned by \(places.joined(separator: ", "))") }
            if candidate.createdAt == nil { reasons.append("unreadable") }
            return Decision(id: candidate.id, reasons: reasons)
        }
    }
}
