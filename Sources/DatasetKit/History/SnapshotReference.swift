import Foundation

/// What a user may write where a snapshot goes: a snapshot id, a tag name, or the unique
/// beginning of an id (`20260601T09`). Tag names start with a letter and ids with a digit,
/// so the three never mean the same text.
public enum SnapshotReference: Equatable, Sendable {
    case id(String)
    case tag(TagName)
    case idPrefix(String)

    public init(_ text: String) throws {
        if SnapshotID.isValid(text) {
            self = .id(text)
        } else if TagName.isValid(text) {
            self = .tag(try TagName(text))
        } else if Self.isIDPrefix(text) {
            self = .idPrefix(text)
        } else {
            throw DPMError.invalidInput("\"\(text)\" is neither a snapshot id (like 20261122T031826Z-1a2b3c, or its unique beginning) nor a tag name (\(TagName.rule)).")
        }
    }

    /// True for a non-empty beginning of some snapshot id: `2026`, `20261122T0318`, `20261122T031826Z-1a`.
    static func isIDPrefix(_ text: String) -> Bool {
        // 23 characters make a whole id, which `SnapshotID.isValid` takes first.
        guard !text.isEmpty, text.count <= 23 else { return false }
        for (offset, character) in text.enumerated() {
            switch offset {
            case 0..<8, 9..<15: if !character.isASCII || !character.isNumber { return false }
            case 8: if character != "T" { return false }
            case 15: if character != "Z" { return false }
            case 16: if character != "-" { return false }
            default: if !"0123456789abcdef".contains(character) { return false }
            }
        }
        return true
    }
}

/// A reference resolved to a snapshot of the profile that the store has.
public struct ResolvedSnapshot: Sendable {
    public let snapshot: Snapshot
    /// The tag the reference named, when it was one.
    public let tag: TagRecord?
}

/// Turns references into the store's records, with one sentence for what does not resolve.
public struct SnapshotResolver {
    let catalog: SnapshotCatalog
    let tags: SnapshotTags
    let profile: ProfileName

    public init(catalog: SnapshotCatalog, profile: ProfileName) {
        self.catalog = catalog
        self.tags = SnapshotTags(store: catalog.store, profile: profile)
        self.profile = profile
    }

    public func resolve(_ text: String) throws -> ResolvedSnapshot {
        let store = catalog.store.displayName
        switch try SnapshotReference(text) {
        case .id(let id):
            return ResolvedSnapshot(snapshot: try record(id), tag: nil)
        case .tag(let name):
            guard let tag = try tags.tag(name) else {
                let known = try tags.names().map(\.value)
                let hint = NearestName.find(name.value, among: known).map { "did you mean \($0)?" }
                    ?? (known.isEmpty ? "it has no tags of \(profile)" : "tags of \(profile): \(Self.list(known))")
                throw DPMError.notFound("The store \(store) has no tag \(name) of profile \(profile) (\(hint)).")
            }
            guard let snapshot = try catalog.record(of: profile, id: tag.snapshot) else {
                throw DPMError.notFound("The tag \(name) of \(profile) names snapshot \(tag.snapshot), which the store \(store) does not have; move the tag with \"dpm tag \(profile) SNAPSHOT \(name) --force\".")
            }
            return ResolvedSnapshot(snapshot: snapshot, tag: tag)
        case .idPrefix(let prefix):
            let ids = try catalog.ids(of: profile)
            let matching = ids.filter { $0.hasPrefix(prefix) }
            guard matching.count <= 1 else {
                throw DPMError.invalidInput("\"\(prefix)\" is the beginning of \(matching.count) snapshots of \(profile) (\(Self.list(matching.reversed()))); give more of the id.")
            }
            guard let id = matching.first else {
                throw DPMError.notFound("The store \(store) has no snapshot of profile \(profile) whose id begins with \(prefix) (\(Self.latest(ids, of: profile))).")
            }
            return ResolvedSnapshot(snapshot: try record(id), tag: nil)
        }
    }

    private func record(_ id: String) throws -> Snapshot {
        guard let snapshot = try catalog.record(of: profile, id: id) else {
            throw DPMError.notFound("The store \(catalog.store.displayName) has no snapshot \(id) of profile \(profile) (\(Self.latest(try catalog.ids(of: profile), of: profile))).")
        }
        return snapshot
    }

    static func latest(_ ids: [String], of profile: ProfileName) -> String {
        ids.isEmpty ? "it has none of \(profile)" : "latest: \(list(ids.suffix(3).reversed()))"
    }

    /// At most five, then how many more.
    static func list<Names: Collection>(_ names: Names) -> String where Names.Element == String {
        let shown = names.prefix(5).joined(separator: ", ")
        return names.count > 5 ? "\(shown) and \(names.count - 5) more" : shown
    }
}
