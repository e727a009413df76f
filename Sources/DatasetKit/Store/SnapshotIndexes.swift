import Foundation

/// The objects snapshots name through other objects: the chunks of each chunk list (of a
/// chunked artifact) and the files of each media index. Each distinct list or index is read
/// once (through the transfer, so verified, and cached where the transfer caches), in parallel.
/// One that cannot be read is kept as a failure; each caller decides what that means (gc
/// refuses, log leaves the objects uncounted).
struct SnapshotIndexes: Sendable {
    var chunkLists: [String: [Chunk]] = [:]
    var mediaIndexes: [String: [MediaEntry]] = [:]
    var failures: [Failure] = []

    struct Failure: Sendable {
        /// The list or index object.
        let id: String
        /// A snapshot that names it, and what it is to that snapshot: "chunk list of 3456.dat".
        let snapshot: Snapshot
        let what: String
        let error: DPMError
    }

    /// `media: false` leaves media indexes unread (a restore without its media); `owner` picks,
    /// of the snapshots sharing an index, the one a failure names (the first by default).
    static func read(_ snapshots: [Snapshot], transfer: ObjectTransfer, width: Int, media: Bool = true,
                     owner: (Snapshot, Snapshot) -> Bool = { _, _ in false }) -> SnapshotIndexes {
        var lists: [String: (Snapshot, Artifact)] = [:]
        var indexes: [String: Snapshot] = [:]
        for snapshot in snapshots {
            for artifact in snapshot.data where artifact.chunks != nil {
                if let known = lists[artifact.sha256], !owner(snapshot, known.0) { continue }
                lists[artifact.sha256] = (snapshot, artifact)
            }
            if media, let index = snapshot.media?.index.sha256 {
                if let known = indexes[index], !owner(snapshot, known) { continue }
                indexes[index] = snapshot
            }
        }
        enum Work: Sendable {
            case list(String, Snapshot, Artifact)
            case media(String, Snapshot)
        }
        let work = lists.sorted { $0.key < $1.key }.map { Work.list($0.key, $0.value.0, $0.value.1) }
            + indexes.sorted { $0.key < $1.key }.map { Work.media($0.key, $0.value) }
        let result = Locked(SnapshotIndexes())
        try? concurrentForEach(work, width: width) { item in
            switch item {
            case .list(let id, let snapshot, let artifact):
                do {
                    let chunks = try transfer.chunks(of: artifact)
                    result.withValue { $0.chunkLists[id] = chunks }
                } catch {
                    let failure = Failure(id: id, snapshot: snapshot, what: "chunk list of \(artifact.path)", error: DPMError(reporting: error))
                    result.withValue { $0.failures.append(failure) }
                }
            case .media(let id, let snapshot):
                do {
                    let data = try transfer.fetchData(sha256: id, what: "media index")
                    let entries = try CanonicalJSON.decode([MediaEntry].self, from: data, what: "The media index of snapshot \(snapshot.id)")
                    result.withValue { $0.mediaIndexes[id] = entries }
                } catch {
                    let failure = Failure(id: id, snapshot: snapshot, what: "media index", error: DPMError(reporting: error))
                    result.withValue { $0.failures.append(failure) }
                }
            }
        }
        var read = result.current
        read.failures.sort { $0.id < $1.id }
        return read
    }

    /// The chunks of `artifact`, when it is chunked and its list was read.
    func chunks(of artifact: Artifact) -> [Chunk]? {
        artifact.chunks == nil ? nil : chunkLists[artifact.sha256]
    }

    /// The media index of `snapshot`, when it has one and it was read.
    func media(of snapshot: Snapshot) -> [MediaEntry]? {
        snapshot.media.flatMap { mediaIndexes[$0.index.sha256] }
    }

    /// Every object a snapshot needs, named or listed, with the stored size given for it
    /// (nil for media files of older indexes).
    func objects(of snapshot: Snapshot) -> [(id: String, storedSize: Int64?)] {
        var objects: [(id: String, storedSize: Int64?)] = [(snapshot.schema.sha256, snapshot.schema.storedSize)]
        for artifact in snapshot.data {
            objects.append((artifact.sha256, artifact.objectStoredSize))
            for chunk in chunks(of: artifact) ?? [] { objects.append((chunk.id, chunk.storedSize)) }
        }
        if let index = snapshot.media?.index {
            objects.append((index.sha256, index.storedSize))
            for entry in media(of: snapshot) ?? [] { objects.append((entry.sha256, entry.storedSize)) }
        }
        return objects
    }
}
