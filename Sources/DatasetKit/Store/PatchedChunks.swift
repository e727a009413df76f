import Foundation

/// Chunks stored as patches against the chunks they replace (format 4). Content-defined
/// chunks keep an edit's damage local, but a table whose rows change here and there (1% of
/// them, scattered) has a changed row in nearly every ~1 MiB chunk, so chunking alone stores
/// and downloads almost the whole table again. A changed chunk is instead stored as a patch
/// against the older chunk it most likely resembles (`PatchBases`): a few hundred bytes for a
/// chunk with a few rows gone or changed, against the whole chunk's ~500 KiB compressed.
extension ObjectTransfer {
    /// This transfer, patching changed chunks against `sources` (the profile's newest record).
    func patching(from sources: PatchSources) -> ObjectTransfer {
        var copy = self
        copy.patches = sources
        return copy
    }

    /// This transfer without progress: the reads of a patch's parts are not bytes of the content.
    var quiet: ObjectTransfer {
        var copy = self
        copy.progress = .silent
        return copy
    }

    /// Stores one chunk of a cut stream: reused when the store has it (whole, or as the patch
    /// the newest record made of it), else as a patch against `hint.base` when that is worth
    /// it, else whole.
    func storeChunk(_ data: Data, hint: ChunkHint, recordedSizes: [String: Int64]) throws -> Stored {
        let id = sealing?.id(of: data) ?? SHA256Hex.of(data)
        var stored: Stored
        if let earlier = try reusablePatch(of: id) {
            stored = earlier
        } else {
            // One look at the store decides, and serves the whole chunk's reuse too.
            let existing = try store.storedSize(StoreLayout.objectKey(id))
            if existing == nil, let base = hint.base, let patched = try storePatch(data, id: id, against: base, recordedSizes: recordedSizes) {
                stored = patched
            } else {
                stored = try storeData(data, id: id, recordedSizes: recordedSizes, lookedUp: .some(existing))
            }
        }
        stored.head = hint.head
        return stored
    }

    /// The patch the newest record made of this content, when the store still has it and its base intact by size.
    private func reusablePatch(of content: String) throws -> Stored? {
        guard let chunk = patches?.patchedByContent[content], let base = chunk.base,
              !isMarkedDamaged(chunk.id), !isMarkedDamaged(base),
              try store.storedSize(StoreLayout.objectKey(chunk.id)) == chunk.storedSize,
              let baseStoredSize = try store.storedSize(StoreLayout.objectKey(base))
        else { return nil }
        return Stored(sha256: chunk.id, size: chunk.size, storedSize: chunk.storedSize, newlines: 0, isNew: false,
                      patched: Stored.Patched(base: base, baseStoredSize: baseStoredSize, content: content))
    }

    /// `data` stored as a patch against the whole chunk `base`, or nil when the base cannot be
    /// read or the patch would not be much smaller than the chunk stored whole (estimated by
    /// the base's own compression, so nothing is compressed twice).
    private func storePatch(_ data: Data, id: String, against base: String, recordedSizes: [String: Int64]) throws -> Stored? {
        guard !isMarkedDamaged(base), let baseStoredSize = try store.storedSize(StoreLayout.objectKey(base)),
              let baseContent = try? quiet.fetchData(sha256: base, what: "base of a patch"), !baseContent.isEmpty,
              let patch = try codec.patch(data, against: baseContent)
        else { return nil }
        let wholeEstimate = Int64(data.count) * baseStoredSize / Int64(baseContent.count)
        guard Int64(patch.count) * 2 < wholeEstimate else { return nil }
        // A patch is kept only once it is seen to give the content back.
        guard (try? codec.apply(patch, to: baseContent, size: data.count)) == data else { return nil }
        let object = try storeData(patch, recordedSizes: recordedSizes)
        return Stored(sha256: object.sha256, size: Int64(data.count), storedSize: object.storedSize, newlines: 0, isNew: object.isNew,
                      replacedSize: object.replacedSize, patched: Stored.Patched(base: base, baseStoredSize: baseStoredSize, content: id))
    }

    /// With a download cache, the patches of `chunks` and the bases the cache lacks are
    /// downloaded into it first, several at once: patches are small, and fetched one by one
    /// between COPY's chunks each would cost a whole request's latency.
    func prefetchPatches(of chunks: [Chunk], label: String) throws {
        guard let cache else { return }
        var wanted: [(id: String, what: String)] = []
        var seen = Set<String>()
        for (number, chunk) in chunks.enumerated() {
            guard let base = chunk.base else { continue }
            let what = "\(label), chunk \(number + 1) of \(chunks.count)"
            for (id, part) in [(chunk.id, "patch"), (base, "base")] where !cache.contains(id) && seen.insert(id).inserted {
                wanted.append((id, "\(part) of \(what)"))
            }
        }
        let quiet = self.quiet
        try concurrentForEach(wanted.map { [$0.id, $0.what] }, width: 8) { item in
            try quiet.read(sha256: item[0], into: NullWriter(), what: item[1])
        }
    }

    /// Streams a patched chunk's content into `writer`: its base and its patch read (each
    /// verified, and cached where the transfer caches), the patch applied, the result checked
    /// against the chunk's content id.
    func readPatched(_ chunk: Chunk, into writer: ByteWriter, what: String) throws {
        guard let base = chunk.base, let content = chunk.content else { return try read(sha256: chunk.id, into: writer, what: what) }
        let baseContent = try quiet.fetchData(sha256: base, what: "base of \(what)")
        let patch = try quiet.fetchData(sha256: chunk.id, what: "patch of \(what)")
        let result: Data
        do {
            result = try codec.apply(patch, to: baseContent, size: Int(chunk.size))
        } catch let error as DPMError where error.kind == .corrupt {
            throw DPMError.corrupt(sentence("Object \(chunk.id) (patch of \(what)) in \(store.displayName) is corrupt: \(error.message)"))
        }
        let actual = sealing?.id(of: result) ?? SHA256Hex.of(result)
        guard actual == content else {
            throw DPMError.corrupt("Object \(chunk.id) (patch of \(what)) in \(store.displayName) is corrupt: applied to its base \(base) it gives content with the id \(actual), not \(content).")
        }
        try result.withUnsafeBytes { try writer.write($0) }
        progress.advance(bytes: chunk.size)
    }
}

/// What the cutter knows of a chunk before it is stored: its head, and the whole chunk of the
/// same table's older content it is to be patched against if it changed.
struct ChunkHint: Sendable {
    var head: String
    var base: String?
}

/// A short digest of a chunk's first 64 bytes (keyed in an encrypted store, as ids are).
/// Content-defined boundaries survive edits around them, so a changed chunk usually starts
/// as the chunk it replaces did.
enum ChunkHead {
    static let length = 64

    static func of(_ bytes: UnsafeRawBufferPointer, sealing: ObjectSealing?) -> String {
        let first = Data(bytes.prefix(length))
        return String((sealing?.id(of: first) ?? SHA256Hex.of(first)).prefix(16))
    }
}

/// The chunks of the profile's newest record an upload may patch against: each table's chunk
/// list, and the patched chunks by content id (so an unchanged patched chunk is named again,
/// not stored whole).
struct PatchSources: Sendable {
    var lists: [String: [Chunk]] = [:]
    var patchedByContent: [String: Chunk] = [:]

    init(lists: [String: [Chunk]]) {
        self.lists = lists
        for chunk in lists.values.joined() where chunk.isPatch { patchedByContent[chunk.contentID] = chunk }
    }

    /// A fresh choice of bases for one cut of `table`'s data; nil when the record has no list of it.
    func bases(for table: String?) -> PatchBases? {
        table.flatMap { lists[$0] }.map(PatchBases.init)
    }
}

/// Chooses, chunk after chunk of one cut, the older chunk each new one most likely replaces.
/// A new chunk whose head an older chunk shares (after the last one chosen, else any) replaces
/// that one. One whose first bytes changed, or whose start moved (an edit near a boundary can
/// move, add or remove one), continues where the new content is in the older list: it is
/// counted along the older chunks, byte for byte, from the last one chosen. The base is the chosen
/// chunk itself, or the chunk it was patched against: a base is always whole.
final class PatchBases {
    private let chunks: [Chunk]
    private var byHead: [String: [Int]] = [:]
    /// The older chunk chosen last, and how far into it the new content since its start reaches.
    private var last = -1
    private var reached: Int64 = 0

    init(_ chunks: [Chunk]) {
        self.chunks = chunks
        for (index, chunk) in chunks.enumerated() { if let head = chunk.head { byHead[head, default: []].append(index) } }
    }

    /// The base for a new chunk of `size` bytes starting with `head`.
    func base(forHead head: String, size: Int) -> String? {
        var chosen: Int
        if let same = byHead[head] {
            chosen = same.first { $0 > last } ?? same[0]
            reached = 0
        } else {
            // The older chunk the content reached into, unless little of it is left (rows
            // deleted shrink a chunk a little; a boundary that appeared leaves a chunk's worth).
            chosen = max(last, 0)
            while chosen < chunks.count, reached >= chunks[chosen].size - chunks[chosen].size / 4 {
                reached -= chunks[chosen].size
                chosen += 1
            }
            reached = max(0, reached)
            guard chosen < chunks.count else { return nil }
        }
        last = chosen
        reached += Int64(size)
        return chunks[chosen].base ?? chunks[chosen].id
    }
}
