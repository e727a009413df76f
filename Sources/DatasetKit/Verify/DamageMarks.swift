import Foundation

/// A record `damaged/<id>.json` that `dpm verify` writes for an object it found missing or
/// damaged: what it found, when, where and by which dpm. Upload reads the marks once and stores
/// each marked object anew, since its copy may have the size its records give (a flipped byte)
/// and would otherwise be reused; the mark goes once the new copy is in place, or when a later
/// verify reads the object intact. `dpm gc` deletes the marks of the objects it deletes.
public struct DamageMark: Codable, Sendable, Equatable {
    public static let currentFormat = 1

    public var format: Int
    public var object: String
    public var problem: ObjectProblem.Kind
    /// What was found, as the end of a sentence ("its content hashes to …").
    public var reason: String
    /// The store's size of the object when it was found; nil when it was missing.
    public var storedSize: Int64?
    public var foundAt: String
    public var host: String
    public var tool: String
    /// The snapshots of the verify run that need the object.
    public var snapshots: [SnapshotName]

    public init(object: String, problem: ObjectProblem.Kind, reason: String, storedSize: Int64?, foundAt: String, host: String,
                tool: String, snapshots: [SnapshotName]) {
        format = Self.currentFormat
        self.object = object
        self.problem = problem
        self.reason = reason
        self.storedSize = storedSize
        self.foundAt = foundAt
        self.host = host
        self.tool = tool
        self.snapshots = snapshots
    }
}

/// The marks of a store, by object id.
public enum DamageMarks {
    /// Every marked object, in one listing of `damaged/`.
    public static func list(in store: ObjectStore) throws -> Set<String> {
        Set(try store.list(prefix: StoreLayout.damagedPrefix).compactMap(id(of:)))
    }

    /// The object a mark's key names, when the key is `damaged/<id>.json` with an id of hex digits.
    public static func id(of key: String) -> String? {
        guard key.hasPrefix(StoreLayout.damagedPrefix), key.hasSuffix(".json") else { return nil }
        let id = key.dropFirst(StoreLayout.damagedPrefix.count).dropLast(5)
        guard id.count > 2, id.allSatisfy({ "0123456789abcdef".contains($0) }) else { return nil }
        return String(id)
    }

    /// Writes (or replaces, with what was found now) the mark of `mark.object`.
    public static func write(_ mark: DamageMark, to store: ObjectStore) throws {
        try store.put(StoreLayout.damagedKey(mark.object), from: DataReader(try CanonicalJSON.encode(mark)))
    }

    /// The mark of `id`, or nil when it has none or its record cannot be read.
    public static func read(_ id: String, from store: ObjectStore) -> DamageMark? {
        guard let data = try? store.open(StoreLayout.damagedKey(id)).readAll(limit: 1 << 20) else { return nil }
        return try? CanonicalJSON.decode(DamageMark.self, from: data, what: StoreLayout.damagedKey(id))
    }

    public static func remove(_ id: String, from store: ObjectStore) throws {
        try store.delete(StoreLayout.damagedKey(id))
    }

    /// "dpm verify marked it damaged on 2026-06-01T09:00:00Z, and uploading the same content again
    /// stores it anew": what a refusal of a marked object adds.
    static func note(for id: String, in store: ObjectStore) -> String {
        let when = read(id, from: store).map { " on \($0.foundAt)" } ?? ""
        return "dpm verify marked it damaged\(when), and uploading the same content again stores it anew"
    }
}

extension StoreLayout {
    public static let damagedPrefix = "damaged/"

    public static func damagedKey(_ id: String) -> String {
        "\(damagedPrefix)\(id).json"
    }
}
