import Foundation

/// What `dpm verify` found: the snapshots checked, every problem object with the snapshots
/// that need it, and how much was read how fast.
public struct VerifyReport: Codable, Sendable {
    public var store: String
    /// `sizes`, `read-data` or `sample`.
    public var reading: String
    public var samplePercent: Double?
    public var snapshots: [VerifiedSnapshot]
    public var snapshotsChecked: Int
    /// Distinct objects the snapshots need (schema, data files, media indexes, media files).
    public var objectsChecked: Int
    /// Objects read in full, decompressed and checked against their id.
    public var objectsRead: Int
    /// Stored (compressed) bytes read, and the content they decompressed to.
    public var bytesRead: Int64
    public var contentBytesRead: Int64
    public var seconds: Double
    /// Stored bytes read per second, in MB (10^6 bytes).
    public var megabytesPerSecond: Double
    public var problems: [ObjectProblem]
    /// Snapshots whose record (or manifest, or media index) could not be read: their objects
    /// (or media files) were not checked.
    public var unreadable: [SnapshotProblem]
    /// Objects whose mark this run wrote, and objects found intact whose mark it removed.
    public var marked: [String]
    public var marksRemoved: [String]
    /// Why marks could not be written or removed (a store that refuses writes), if so.
    public var markingFailed: String?

    /// True when every object checked is intact and every snapshot could be read.
    public var intact: Bool
}

public struct VerifiedSnapshot: Codable, Sendable, Equatable {
    public var profile: String
    public var id: String
    /// Whether the profile's manifest pins it.
    public var pinned: Bool
}

/// A snapshot named by profile and id.
public struct SnapshotName: Codable, Sendable, Hashable, Comparable, CustomStringConvertible {
    public var profile: String
    public var id: String

    public init(profile: String, id: String) {
        self.profile = profile
        self.id = id
    }

    public var description: String { "\(profile)@\(id)" }
    public static func < (a: Self, b: Self) -> Bool { (a.profile, a.id) < (b.profile, b.id) }
}

public struct ObjectProblem: Codable, Sendable, Equatable {
    public enum Kind: String, Codable, Sendable {
        case missing
        /// A stored size no record gives, and content that does not verify.
        case wrongSize = "wrong-size"
        /// Read in full, the bytes are not the object.
        case corrupt
    }

    public var object: String
    public var problem: Kind
    /// What was found, as the end of a sentence ("has 10 bytes where its records give 4711").
    public var reason: String
    /// The store's size of it; nil when missing.
    public var storedSize: Int64?
    /// The stored sizes the records give for it.
    public var recordedSizes: [Int64]
    /// What it is in each snapshot: "schema.sql", "3418.dat, data of public.orders", "media index", "media file a/b.png".
    public var what: [String]
    /// Every snapshot checked that needs it.
    public var snapshots: [SnapshotName]
}

public struct SnapshotProblem: Codable, Sendable, Equatable {
    public var profile: String
    public var id: String?
    public var reason: String
}
