import Foundation

/// A tag: a name for one snapshot of a profile, kept in the store as
/// `tags/<profile>/<name>.json`. Created only if absent; `dpm tag --force` replaces it, and
/// the record then says which snapshot it named before.
public struct TagRecord: Codable, Sendable, Equatable {
    public static let currentFormat = 1

    public var format: Int
    public var name: String
    public var profile: String
    public var snapshot: String
    /// When the tag was written (moved, for a moved tag).
    public var createdAt: String
    public var tool: String
    /// The snapshot the tag named before `--force` moved it; nil for a tag made anew.
    public var previous: String?

    public init(name: TagName, profile: ProfileName, snapshot: String, createdAt: String, tool: String, previous: String? = nil) {
        format = Self.currentFormat
        self.name = name.value
        self.profile = profile.value
        self.snapshot = snapshot
        self.createdAt = createdAt
        self.tool = tool
        self.previous = previous
    }

    /// Checks that the record is one dpm wrote for `name` of `profile`.
    func validate(what: String, name expected: TagName, profile: ProfileName) throws {
        func refuse(_ reason: String) -> DPMError { DPMError.corrupt("\(what) is not a tag dpm wrote: \(reason).") }
        guard format == Self.currentFormat else { throw refuse("its format \(format) is unknown (this dpm reads format \(Self.currentFormat))") }
        guard name == expected.value else { throw refuse("it names the tag \"\(name)\"") }
        guard self.profile == profile.value else { throw refuse("it names the profile \"\(self.profile)\", not \(profile)") }
        guard SnapshotID.isValid(snapshot) else { throw refuse("\"\(snapshot)\" is not a snapshot id") }
        if let previous, !SnapshotID.isValid(previous) { throw refuse("\"\(previous)\" is not a snapshot id") }
    }
}

extension StoreLayout {
    public static func tagKey(profile: String, name: String) -> String {
        "tags/\(profile)/\(name).json"
    }

    public static func tagPrefix(profile: String) -> String {
        "tags/\(profile)/"
    }
}
