import Foundation

/// One object the chosen snapshots need, with everything verify says of it.
struct ObjectNeed: Sendable, Equatable {
    let id: String
    /// The stored sizes the records (and media indexes) give; empty when none does (media
    /// files of older indexes). More than one when a damaged copy was stored anew at another
    /// compression level after an older record was written.
    var recordedSizes: Set<Int64> = []
    var what: Set<String> = []
    var snapshots: Set<SnapshotName> = []
    /// A media index or chunk list: read in full in every mode, for the objects it lists.
    var isIndex = false
    /// Its place in a pack, when records place it in one (format 3). One content may have
    /// several places (two profiles uploaded it, or a damaged copy was stored anew): each place
    /// is a need of its own, since each is what some snapshot reads.
    var packedAt: PackedAt?

    /// What tells this need from the others: the id, and for a place in a pack the place too.
    var key: String { Self.key(id, packedAt) }

    static func key(_ id: String, _ packedAt: PackedAt?) -> String {
        packedAt.map { "\(id)@\($0.pack)+\($0.offset)" } ?? id
    }

    /// Where its bytes must end in its pack.
    var packEnd: Int64? { packedAt.map { $0.end(storedSize: recordedSizes.max() ?? 0) } }

    /// Whether the store has it where the records say: on its own, or in a pack long enough to hold it.
    func isStored(in stored: [String: StoreEntry]) -> Bool {
        guard let packedAt else { return stored[id] != nil }
        guard let pack = stored[packedAt.pack], let end = packEnd else { return false }
        return pack.size >= end
    }
}

/// Object id (and place in a pack) → what needs it: the schema, each data file (or its chunk list) and the media
/// index each snapshot's record names, and every chunk a chunk list and every media file its
/// media index names (which `Snapshot.objectHashes` leaves out), each object once however
/// many snapshots share it.
struct ObjectNeeds: Sendable {
    private(set) var byID: [String: ObjectNeed] = [:]

    /// `media`: media index id → its entries, `chunkLists`: chunk list id → its chunks, for the
    /// indexes and lists that could be read.
    init(snapshots: [Snapshot], media: [String: [MediaEntry]], chunkLists: [String: [Chunk]] = [:]) {
        for snapshot in snapshots {
            let name = SnapshotName(profile: snapshot.profile, id: snapshot.id)
            add(snapshot.schema.sha256, size: snapshot.schema.storedSize, what: "schema.sql", for: name)
            for artifact in snapshot.data {
                let what = artifact.table.map { "\(artifact.path), data of \($0)" } ?? artifact.path
                guard artifact.chunks != nil else {
                    add(artifact.sha256, size: artifact.storedSize, what: what, for: name, packedAt: artifact.pack)
                    continue
                }
                add(artifact.sha256, size: artifact.objectStoredSize, what: "chunk list of \(what)", for: name)
                byID[artifact.sha256]?.isIndex = true
                let chunks = chunkLists[artifact.sha256] ?? []
                for (number, chunk) in chunks.enumerated() {
                    add(chunk.id, size: chunk.storedSize, what: "\(what), chunk \(number + 1) of \(chunks.count)", for: name)
                    if let base = chunk.base { add(base, size: nil, what: "base of \(what), chunk \(number + 1)", for: name) }
                }
            }
            guard let index = snapshot.media?.index else { continue }
            add(index.sha256, size: index.storedSize, what: "media index", for: name)
            byID[index.sha256]?.isIndex = true
            for entry in media[index.sha256] ?? [] {
                guard entry.chunks != nil else {
                    add(entry.sha256, size: entry.storedSize, what: "media file \(entry.path)", for: name, packedAt: entry.pack)
                    continue
                }
                add(entry.sha256, size: entry.objectStoredSize, what: "chunk list of media file \(entry.path)", for: name)
                byID[entry.sha256]?.isIndex = true
                let chunks = chunkLists[entry.sha256] ?? []
                for (number, chunk) in chunks.enumerated() {
                    add(chunk.id, size: chunk.storedSize, what: "media file \(entry.path), chunk \(number + 1) of \(chunks.count)", for: name)
                    if let base = chunk.base { add(base, size: nil, what: "base of media file \(entry.path), chunk \(number + 1)", for: name) }
                }
            }
        }
    }

    private mutating func add(_ id: String, size: Int64?, what: String, for snapshot: SnapshotName, packedAt: PackedAt? = nil) {
        let key = ObjectNeed.key(id, packedAt)
        var need = byID[key] ?? ObjectNeed(id: id, packedAt: packedAt)
        if let size { need.recordedSizes.insert(size) }
        need.what.insert(what)
        need.snapshots.insert(snapshot)
        byID[key] = need
    }

    /// Sorted by key, for a stable order of work and report.
    var all: [ObjectNeed] { byID.values.sorted { $0.key < $1.key } }

    var count: Int { byID.count }

    /// By `ObjectNeed.key` (the id, for an object on its own).
    subscript(key: String) -> ObjectNeed? { byID[key] }
}
