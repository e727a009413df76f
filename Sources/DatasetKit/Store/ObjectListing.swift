import Foundation

/// Every object of a store with its size and time, listed as 256 shards (`objects/00/` …
/// `objects/ff/`) in parallel: one listing of `objects/` is a chain of pages, each waiting for
/// the previous page's continuation token, so a store of 100,000 objects would take 100 round
/// trips in a row.
public enum ObjectListing {
    public static let shards: [String] = (0..<256).map { String(format: "objects/%02x/", $0) }

    /// Objects keyed by id (the last segment of the key); keys outside the layout are skipped.
    public static func all(in store: ObjectStore, width: Int = 16) throws -> [String: StoreEntry] {
        let found = Locked([String: StoreEntry]())
        try concurrentForEach(shards, width: width) { shard in
            let entries = try store.entries(prefix: shard)
            found.withValue { found in
                for entry in entries {
                    guard let id = id(of: entry.key) else { continue }
                    found[id] = entry
                }
            }
        }
        return found.current
    }

    /// The id an object key names, when the key is `objects/<first two of id>/<id>`.
    public static func id(of key: String) -> String? {
        let parts = key.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0] == "objects", parts[2].count > 2, parts[2].hasPrefix(parts[1]) else { return nil }
        return String(parts[2])
    }
}
