/// How many stored bytes each snapshot added to the store: the stored sizes of the objects
/// it names that no older snapshot record of the store (of any profile) names. Objects are
/// the schema, each data file (or its chunk list) and the media index, as the record gives
/// them, each chunk, as its list gives it, and each media file, as its media index gives it. Counting in id order (ids sort by creation time) makes
/// the figure the same whoever runs `log`, and the figures of a store's records add up to
/// the bytes they hold together (an object in a pack counts its bytes there; packs' own
/// indexes are not counted).
public enum NewlyStored {
    /// What one record names: object id → its stored size.
    public struct Named: Sendable {
        public let id: String
        public let objects: [String: Int64]

        public init(id: String, objects: [String: Int64]) {
            self.id = id
            self.objects = objects
        }
    }

    /// The objects of `snapshot`, its media files' among them when `media` (its index) is given,
    /// and the chunks of each chunked artifact whose list is in `chunks` (list id → chunks).
    public static func named(by snapshot: Snapshot, media: [MediaEntry]?, chunks: [String: [Chunk]] = [:]) -> Named {
        var objects: [String: Int64] = [:]
        for artifact in [snapshot.schema] + snapshot.data + (snapshot.media.map { [$0.index] } ?? []) {
            guard artifact.chunks != nil, let list = chunks[artifact.sha256] else {
                // A list that could not be read counts as all the bytes it stands for.
                objects[artifact.sha256] = artifact.storedSize
                continue
            }
            objects[artifact.sha256] = artifact.objectStoredSize
            for chunk in list { objects[chunk.id] = chunk.storedSize }
        }
        // An index written before media files recorded their stored size gives their size instead.
        for entry in media ?? [] where objects[entry.sha256] == nil {
            guard entry.chunks != nil, let list = chunks[entry.sha256] else {
                objects[entry.sha256] = entry.storedSize ?? entry.size
                continue
            }
            objects[entry.sha256] = entry.objectStoredSize
            for chunk in list where objects[chunk.id] == nil { objects[chunk.id] = chunk.storedSize }
        }
        return Named(id: snapshot.id, objects: objects)
    }

    /// The objects of `snapshot`, with what `indexes` could read of its lists and index.
    static func named(by snapshot: Snapshot, indexes: SnapshotIndexes) -> Named {
        named(by: snapshot, media: indexes.media(of: snapshot), chunks: indexes.chunkLists)
    }

    /// The newly stored bytes of each record given (in any order), in the order given.
    public static func compute(_ records: [Named]) -> [Int64] {
        var seen = Set<String>()
        var result = [Int64](repeating: 0, count: records.count)
        // Records of one second (two profiles uploaded at once) keep the order they were given in.
        for index in records.indices.sorted(by: { (records[$0].id, $0) < (records[$1].id, $1) }) {
            for (object, size) in records[index].objects where seen.insert(object).inserted { result[index] += size }
        }
        return result
    }
}
