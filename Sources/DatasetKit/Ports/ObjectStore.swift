import Foundation

/// What a store reports about bytes it has stored.
public struct StoredBytes: Sendable, Equatable {
    public let size: Int64
    public let sha256: String

    public init(size: Int64, sha256: String) {
        self.size = size
        self.sha256 = sha256
    }
}

/// One key of a listing, with what the listing itself tells of it (no request per key).
public struct StoreEntry: Sendable, Equatable {
    public let key: String
    /// The size of the stored bytes.
    public let size: Int64
    /// When the store last wrote the key, by the store's own clock (S3's LastModified, a
    /// file's mtime): the one clock every machine writing to the store shares.
    public let modified: Date

    public init(key: String, size: Int64, modified: Date) {
        self.key = key
        self.size = size
        self.modified = modified
    }
}

/// Where objects and snapshot records live. Keys are `/`-separated relative paths.
/// Implementations must make a `put` visible only once it is complete and durable.
public protocol ObjectStore: Sendable {
    /// A description for messages (a URL without credentials).
    var displayName: String { get }

    /// Streams `source` into `key`. The SHA-256 of the stored bytes is computed on the way;
    /// if `expectedSHA256` is given and differs, nothing becomes visible and the put fails.
    /// `verify`, if given, reads exactly the bytes being stored before they become visible;
    /// if it throws, nothing becomes visible. It may run on another thread while the bytes
    /// are still being produced. With `overwrite: false` an existing key fails
    /// with `DPMError.objectExists` (a `.conflict`).
    @discardableResult
    func put(_ key: String, from source: ByteReader, expectedSHA256: String?, overwrite: Bool,
             verify: (@Sendable (ByteReader) throws -> Void)?) throws -> StoredBytes

    /// Opens `key` for streaming; fails with `DPMError.objectNotFound` (a `.notFound`) when it is absent.
    func open(_ key: String) throws -> ByteReader

    /// Opens the stored bytes of `key` in `range` (an object in a pack); fewer when the object
    /// is shorter. Fails as `open` does when `key` is absent.
    func open(_ key: String, range: Range<Int64>) throws -> ByteReader

    /// The size of the stored bytes of `key`, or nil when the store does not have it.
    func storedSize(_ key: String) throws -> Int64?

    /// Every key that starts with `prefix`, sorted by key, with its size and time.
    func entries(prefix: String) throws -> [StoreEntry]

    /// Removes `key`; removing an absent key is not an error.
    func delete(_ key: String) throws

    /// A local folder where puts in progress keep their partial bytes (named by
    /// `ScratchNames.partial`), for dpm cleanup; nil when the store keeps none.
    var partialsFolder: String? { get }
}

extension ObjectStore {
    public var partialsFolder: String? { nil }

    /// Every key that starts with `prefix`, sorted.
    public func list(prefix: String) throws -> [String] {
        try entries(prefix: prefix).map(\.key)
    }

    @discardableResult
    public func put(_ key: String, from source: ByteReader) throws -> StoredBytes {
        try put(key, from: source, expectedSHA256: nil, overwrite: true, verify: nil)
    }

    @discardableResult
    public func put(_ key: String, from source: ByteReader, expectedSHA256: String?, overwrite: Bool) throws -> StoredBytes {
        try put(key, from: source, expectedSHA256: expectedSHA256, overwrite: overwrite, verify: nil)
    }
}

/// A store's own refusals; `open` of an absent key is a `.notFound`, for callers to switch on.
extension DPMError {
    public static func objectNotFound(key: String, store: String) -> DPMError {
        .notFound("The store \(store) has no object \(key).")
    }

    public static func objectExists(key: String, store: String) -> DPMError {
        .conflict("The store \(store) already has \(key); it is never overwritten.")
    }

    public static func storedHashMismatch(key: String, expected: String, actual: String) -> DPMError {
        .corrupt("The bytes written for \(key) have SHA-256 \(actual), expected \(expected); nothing was stored.")
    }

    public static func invalidStoreKey(_ key: String) -> DPMError {
        .invalidInput("The store key \"\(key)\" is not allowed.")
    }
}

/// Keys of the store layout, in one place.
public enum StoreLayout {
    public static func objectKey(_ sha256: String) -> String {
        "objects/\(sha256.prefix(2))/\(sha256)"
    }

    public static func snapshotKey(profile: String, id: String) -> String {
        "snapshots/\(profile)/\(id).json"
    }

    public static func snapshotPrefix(profile: String) -> String {
        "snapshots/\(profile)/"
    }

    /// A key is a relative path of plain segments: nothing that could escape the store root.
    public static func isValidKey(_ key: String) -> Bool {
        guard !key.isEmpty, !key.hasPrefix("/"), !key.hasSuffix("/") else { return false }
        return key.split(separator: "/", omittingEmptySubsequences: false).allSatisfy {
            !$0.isEmpty && $0 != "." && $0 != ".." && !$0.hasPrefix(".tmp")
        }
    }
}
