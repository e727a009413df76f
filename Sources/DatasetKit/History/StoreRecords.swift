import Foundation

/// The snapshot records a store holds, by their keys: `snapshots/<profile>/<id>.json`, every
/// profile's in one listing (what a snapshot stored anew depends on other profiles' records too).
enum StoreRecords {
    struct Key: Sendable, Hashable {
        let profile: ProfileName
        let id: String
    }

    /// One listing of `snapshots/` for every profile; keys dpm would not have written are skipped.
    static func list(in store: ObjectStore) throws -> [Key] {
        try store.list(prefix: "snapshots/").compactMap(parse)
    }

    static func parse(_ key: String) -> Key? {
        let parts = key.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0] == "snapshots", parts[2].hasSuffix(".json"),
              let profile = try? ProfileName(String(parts[1])) else { return nil }
        let id = String(parts[2].dropLast(5))
        return SnapshotID.isValid(id) ? Key(profile: profile, id: id) : nil
    }
}
