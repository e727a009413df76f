import Foundation

/// The objects snapshots name through other objects: the chunks of each chunk list (of a
/// chunked artifact or media file) and the files of each media index. Each distinct list or
/// index is read once (through the transfer, so verified, and cached where the transfer
/// caches), in parallel: the data's lists and the media indexes first, then the lists of the
/// media files those name. One that cannot be read is kept as a failure; each caller decides
/// what that means (gc refuses, log leaves the objects uncounted).
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
        var lists: [String: (snapshot: Snapshot, artifact: Artifact)] = [:]
        var indexes: [String: Snapshot] = [:]
        for snapshot in snapshots {
            for artifact in snapshot.data where artifact.chunks != nil {
                if let known = lists[artifact.sha256], !owner(snapshot, known.snapshot) { continue }
                lists[artifact.sha256] = (snapshot, artifact)
            }
            if media, let index = snapshot.media?.index.sha256 {
                if let known = indexes[index], !owner(snapshot, known) { continue }
                indexes[index] = snapshot
            }
        }
        let result = Locked(SnapshotIndexes())
        let listWork = lists.sorted { $0.key < $1.key }.map { ListWork(snapshot: $0.value.snapshot, artifact: $0.value.artifact) }
        let indexWork = indexes.sorted { $0.key < $1.key }.map { (id: $0.key, snapshot: $0.value) }
        try? concurrentForEach(listWork.map { Work.list($0) } + indexWork.map { Work.media($0.id, $0.snapshot) }, width: width) { item in
            readOne(item, transfer: transfer, into: result)
        }
        // The chunked media files of the indexes just read, each list once.
        var mediaLists: [String: ListWork] = [:]
        for (id, snapshot) in indexes {
            for entry in result.current.mediaIndexes[id] ?? [] where entry.chunks != nil && mediaLists[entry.sha256] == nil {
                mediaLists[entry.sha256] = ListWork(snapshot: snapshot, artifact: entry.artifact, media: true)
            }
        }
        try? concurrentForEach(mediaLists.values.sorted { $0.artifact.sha256 < $1.artifact.sha256 }.map { Work.list($0) }, width: width) { item in
            readOne(item, transfer: transfer, into: result)
        }
        var found = result.current
        found.failures.sort { $0.id < $1.id }
        return found
    }

    private struct ListWork: Sendable {
        let snapshot: Snapshot
        let artifact: Artifact
        var media = false
    }

    private enum Work: Sendable {
        case list(ListWork)
        case media(String, Snapshot)
    }

    private static func readOne(_ item: Work, transfer: ObjectTransfer, into result: Locked<SnapshotIndexes>) {
        switch item {
        case .list(let work):
            let artifact = work.artifact
            do {
                let chunks = try transfer.chunks(of: artifact)
                result.withValue { $0.chunkLists[artifact.sha256] = chunks }
            } catch {
                let what = work.media ? "chunk list of media file \(artifact.path)" : "chunk list of \(artifact.path)"
                let failure = Failure(id: artifact.sha256, snapshot: work.snapshot, what: what, error: DPMError(reporting: error))
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

    /// The chunks of `artifact`, when it is chunked and its list was read.
    func chunks(of artifact: Artifact) -> [Chunk]? {
        artifact.chunks == nil ? nil : chunkLists[artifact.sha256]
    }

    /// The media index of `snapshot`, when it has one and it was read.
    func media(of snapshot: Snapshot) -> [MediaEntry]? {
        snapshot.media.flatMap { mediaIndexes[$0.index.sha256] }
    }

    /// Every object a snapshot needs, named or listed, with the stored size given for it
    /// (nil for media files of older indexes); an object in a pack comes with its pack (whose
    /// size no record gives: nil).
    func objects(of snapshot: Snapshot) -> [(id: String, storedSize: Int64?)] {
        var objects: [(id: String, storedSize: Int64?)] = [(snapshot.schema.sha256, snapshot.schema.storedSize)]
        for artifact in snapshot.data {
            objects.append((artifact.sha256, artifact.objectStoredSize))
            if let pack = artifact.pack { objects.append((pack.pack, nil)) }
            for chunk in chunks(of: artifact) ?? [] { Self.append(chunk, to: &objects) }
        }
        if let index = snapshot.media?.index {
            objects.append((index.sha256, index.storedSize))
            for entry in media(of: snapshot) ?? [] {
                objects.append((entry.sha256, entry.objectStoredSize))
                if let pack = entry.pack { objects.append((pack.pack, nil)) }
                for chunk in chunks(of: entry.artifact) ?? [] { Self.append(chunk, to: &objects) }
            }
        }
        return objects
    }

    /// A chunk's object, and a patched chunk's base (whose size the list does not give).
    private static func append(_ chunk: Chunk, to objects: inout [(id: String, storedSize: Int64?)]) {
        objects.append((chunk.id, chunk.storedSize))
        if let base = chunk.base { objects.append((base, nil)) }
    }

    /// Where a snapshot places the objects it has in packs, with their stored sizes.
    func places(of snapshot: Snapshot) -> [String: PackWriter.Recorded] {
        var places: [String: PackWriter.Recorded] = [:]
        for artifact in snapshot.data + (media(of: snapshot) ?? []).map(\.artifact) {
            if let pack = artifact.pack { places[artifact.sha256] = PackWriter.Recorded(at: pack, storedSize: artifact.storedSize) }
        }
        return places
    }
}
