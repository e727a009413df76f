import Foundation

/// Moves artifacts between local files and content-addressed store objects, compressing,
/// hashing and verifying on the way. Safe to use from several threads at once.
///
/// In an encrypted store (`sealing` set) an object's id is the keyed HMAC-SHA256 of its
/// content instead of its SHA-256, and its compressed bytes are sealed before they leave;
/// reading opens them (every chunk authenticated) before decompressing and checks the id.
/// The download cache keeps the stored, sealed bytes.
public struct ObjectTransfer: Sendable {
    public let store: ObjectStore
    public let codec: CompressionCodec
    public internal(set) var progress: ProgressMeter
    public let cache: ObjectCache?
    /// nil for a plaintext store.
    public let sealing: ObjectSealing?
    /// Objects `dpm verify` marked damaged (`DamageMarks`) and not stored anew yet: an upload
    /// stores them anew whatever the store's copy looks like, and removes the mark once the new
    /// copy is in place.
    private let damaged: Locked<Set<String>>
    /// Where an upload's small contents go (`packing(into:)`); nil stores every object on its own.
    private(set) var packs: PackWriter?
    /// The chunks changed chunks may be patched against (`patching(from:)`); nil stores every chunk whole.
    var patches: PatchSources?
    /// Packs being downloaded into the cache, so that each is fetched once (`PackedTransfer`).
    let packFetches = PackLocks()

    public init(store: ObjectStore, codec: CompressionCodec, progress: ProgressMeter = .silent, cache: ObjectCache? = nil,
                sealing: ObjectSealing? = nil, damaged: Set<String> = []) {
        self.store = store
        self.codec = codec
        self.progress = progress
        self.cache = cache
        self.sealing = sealing
        self.damaged = Locked(damaged)
    }

    /// This transfer, storing the objects of `marks` anew (an upload's, from `DamageMarks.list`).
    public func repairing(_ marks: Set<String>) -> ObjectTransfer {
        var copy = ObjectTransfer(store: store, codec: codec, progress: progress, cache: cache, sealing: sealing, damaged: marks.union(damaged.current))
        copy.packs = packs
        copy.patches = patches
        return copy
    }

    /// This transfer, placing small contents cut by `storeChunked` and `cut` in `packs`.
    func packing(into packs: PackWriter) -> ObjectTransfer {
        var copy = self
        copy.packs = packs
        return copy
    }

    /// Whether `dpm verify` marked the object damaged and no upload stored it anew yet.
    func isMarkedDamaged(_ sha256: String) -> Bool { damaged.current.contains(sha256) }

    /// The object is stored anew: its mark goes. A mark left behind (a store that lets this
    /// upload put but not delete) only costs the next upload another put, and the next verify
    /// finds the object intact and removes it.
    func removeMark(_ sha256: String) {
        damaged.withValue { _ = $0.remove(sha256) }
        try? DamageMarks.remove(sha256, from: store)
    }

    public struct Stored: Sendable {
        public var sha256: String
        public var size: Int64
        public var storedSize: Int64
        public var newlines: Int64
        /// False when the store already had the object (deduplicated).
        public var isNew: Bool
        /// The size of a damaged copy the store had (truncated or replaced), now stored anew.
        public var replacedSize: Int64?
        /// Set when the object travels in a pack (`PackWriter`).
        public var packedAt: PackedAt? = nil
        /// Set when the object is a patch (`Chunk.base`): the whole chunk it applies to, that
        /// chunk's stored size, and the id of the content the patch gives.
        public var patched: Patched? = nil
        /// A chunk's `ChunkHead`.
        public var head: String? = nil

        public struct Patched: Sendable {
            public var base: String
            public var baseStoredSize: Int64
            public var content: String
        }

        /// What a chunk list says of this object as one of its chunks.
        var chunk: Chunk {
            Chunk(id: sha256, size: size, storedSize: storedSize, base: patched?.base, content: patched?.content, head: head)
        }
    }

    /// A local file's content id as `dpm diff` compares it (`contentID(ofFileAt:)`), its size
    /// and its line feeds.
    public struct FileDigest: Sendable {
        public var sha256: String
        public var size: Int64
        public var newlines: Int64
    }

    /// Stores in-memory content (a schema dump, a media index) as an object.
    /// `id`: the content's id, when the caller computed it already; `lookedUp`: the store's size
    /// of it, when the caller asked the store already (nil inside: the store lacks it).
    public func storeData(_ data: Data, id: String? = nil, recordedSizes: [String: Int64] = [:], lookedUp: Int64?? = nil) throws -> Stored {
        let sha256 = id ?? sealing?.id(of: data) ?? SHA256Hex.of(data)
        let stored = try storeIfAbsent(sha256: sha256, recordedSize: recordedSizes[sha256], lookedUp: lookedUp) { DataReader(data) }
        return Stored(sha256: sha256, size: Int64(data.count), storedSize: stored.size, newlines: 0, isNew: stored.isNew,
                      replacedSize: stored.replacedSize)
    }

    /// An existing object is reused only when it is intact: its stored size equals the size a
    /// snapshot record gives for it (a stat or HEAD), or, when no record gives one, its content
    /// is read back and verified. A damaged copy is replaced by a verified put. An object
    /// `dpm verify` marked damaged is never reused (a flipped byte keeps the size): it is put
    /// anew, and its mark removed after.
    func storeIfAbsent(sha256: String, recordedSize: Int64?, lookedUp: Int64?? = nil,
                       open: () throws -> ByteReader) throws -> (size: Int64, isNew: Bool, replacedSize: Int64?) {
        let key = StoreLayout.objectKey(sha256)
        let existing = try lookedUp ?? store.storedSize(key)
        let marked = damaged.current.contains(sha256)
        if let existing, !marked {
            if let recordedSize {
                if existing == recordedSize { return (existing, false, nil) }
            } else if isIntact(key, sha256: sha256) {
                return (existing, false, nil)
            }
        }
        // The store hands back exactly the bytes it is about to publish: they must decompress
        // to content with the object's name, or nothing becomes visible.
        let compressed = try codec.compressing(try open())
        let written = try store.put(key, from: sealing?.seal(compressed) ?? compressed, expectedSHA256: nil, overwrite: true) { stored in
            _ = try readVerified(stored, sha256: sha256, into: NullWriter(), source: store.displayName, label: sha256)
        }
        if marked { removeMark(sha256) }
        return (written.size, true, existing)
    }

    /// Whether the store's copy of an object decompresses to content with its name.
    private func isIntact(_ key: String, sha256: String) -> Bool {
        guard let reader = try? store.open(key) else { return false }
        return (try? readVerified(reader, sha256: sha256, into: NullWriter(), source: store.displayName, label: sha256)) != nil
    }

    /// Streams an object's content into `writer` (not finished), verifying it on the way.
    /// With a cache, a hit is read locally and a miss is copied into the cache once verified.
    /// An object in a pack (`packedAt`, with its `storedSize`) is cut out of the pack: with a
    /// cache, the whole pack is downloaded once and split into the cache (`fetchPack`).
    public func read(sha256: String, into writer: ByteWriter, what: String? = nil, packedAt: PackedAt? = nil, storedSize: Int64 = 0) throws {
        let label = "\(sha256)\(what.map { " (\($0))" } ?? "")"
        func readCached(_ cached: ByteReader, from cache: ObjectCache) throws {
            do {
                progress.advance(bytes: try readVerified(cached, sha256: sha256, into: writer, source: "the download cache", label: label))
            } catch {
                cache.evict(sha256)
                throw DPMError(reporting: error).rephrased("\(error.userMessage) The cached copy was removed; run the command again to fetch it from the store.")
            }
        }
        if let cache, let cached = cache.open(sha256) { return try readCached(cached, from: cache) }
        if let packedAt {
            guard let cache else {
                let source = try openPacked(sha256, at: packedAt, storedSize: storedSize, label: label)
                return progress.advance(bytes: try readVerified(source, sha256: sha256, into: writer, source: store.displayName, label: label))
            }
            try fetchPack(holding: sha256, at: packedAt, storedSize: storedSize, label: label)
            guard let cached = cache.open(sha256) else {
                throw DPMError.corrupt("The pack \(packedAt.pack) in \(store.displayName) does not give object \(label) at \(packedAt.offset).")
            }
            return try readCached(cached, from: cache)
        }
        let key = StoreLayout.objectKey(sha256)
        let remote: ByteReader
        do {
            remote = try store.open(key)
        } catch let error as DPMError where error.kind == .notFound {
            throw DPMError.notFound("The store \(store.displayName) has no object \(label); the snapshot cannot be restored from this store.")
        }
        guard let cache else {
            return progress.advance(bytes: try readVerified(remote, sha256: sha256, into: writer, source: store.displayName, label: label))
        }
        let entry = try cache.makeEntry()
        do {
            let tee = TeeReader(remote, copyingTo: entry.writer)
            let bytes = try readVerified(tee, sha256: sha256, into: writer, source: store.displayName, label: label)
            try tee.pump(into: NullWriter()) // anything after the compressed stream belongs to the object too
            try entry.writer.finish()
            try cache.admit(entry.path, as: sha256)
            progress.advance(bytes: bytes)
        } catch {
            cache.discard(entry.path)
            throw error
        }
    }

    /// Opens (in an encrypted store) and decompresses `source` into `writer`, and checks the
    /// content's id; returns the content size.
    func readVerified(_ source: ByteReader, sha256: String, into writer: ByteWriter, source name: String, label: String) throws -> Int64 {
        do {
            return try verifiedContent(of: source, sha256: sha256, into: writer).content
        } catch let damage as ContentDamage {
            throw DPMError.corrupt(sentence("Object \(label) in \(name) is corrupt: \(damage.reason)"))
        }
    }

    /// How bytes that were to be an object's failed to be it: the reason, as the end of a
    /// sentence ("its content hashes to …").
    struct ContentDamage: Error {
        let reason: String
        /// The stored bytes read before the damage showed.
        let stored: Int64
    }

    /// Opens, decompresses and checks the id of `source`'s bytes; throws `ContentDamage` when
    /// they are not the object, and the reader's or writer's own error when those fail (a
    /// download cut short is not a damaged object). Returns the bytes read and the content size.
    func verifiedContent(of source: ByteReader, sha256: String, into writer: ByteWriter) throws -> (stored: Int64, content: Int64) {
        let watchedSource = WatchedReader(source)
        let watchedWriter = WatchedWriter(writer)
        let hasher = HashingWriter(forwardingTo: watchedWriter, key: sealing?.idKey)
        do {
            if let sealing {
                let opened = try sealing.open(watchedSource)
                try codec.decompressing(opened).pump(into: hasher)
                // To its last chunk, whatever the decompressor left: a cut or appended chunk fails there.
                try opened.pump(into: NullWriter())
            } else {
                try codec.decompressing(watchedSource).pump(into: hasher)
            }
        } catch {
            if let failure = watchedSource.failure ?? watchedWriter.failure { throw failure }
            guard let error = error as? DPMError else { throw error }
            throw ContentDamage(reason: error.message, stored: watchedSource.count)
        }
        let actual = hasher.hexDigest()
        guard actual == sha256 else {
            throw ContentDamage(reason: sealing != nil ? "its content does not match its keyed id." : "its content hashes to \(actual).",
                                stored: watchedSource.count)
        }
        return (watchedSource.count, hasher.byteCount)
    }

    /// What the store's own copy of an object is, read in full whatever the download cache
    /// holds (`dpm verify`). The store's failures (unreachable, refused) are thrown.
    public struct StoredCopy: Sendable, Equatable {
        public enum State: Sendable, Equatable {
            case intact
            case missing
            /// Why its bytes are not the object: the end of a sentence ("its content hashes to …").
            case damaged(String)
        }
        public var state: State
        /// The stored bytes read, and the content they decompressed to.
        public var storedBytes: Int64
        public var contentBytes: Int64
    }

    /// `packedAt`: the object's place in a pack, and its `storedSize` there; only its range is read.
    public func checkStoredCopy(of sha256: String, into writer: ByteWriter = NullWriter(), packedAt: PackedAt? = nil,
                                storedSize: Int64 = 0) throws -> StoredCopy {
        let reader: ByteReader
        do {
            if let packedAt {
                reader = try store.open(StoreLayout.objectKey(packedAt.pack), range: packedAt.offset..<packedAt.end(storedSize: storedSize))
            } else {
                reader = try store.open(StoreLayout.objectKey(sha256))
            }
        } catch let error as DPMError where error.kind == .notFound {
            return StoredCopy(state: .missing, storedBytes: 0, contentBytes: 0)
        }
        do {
            let read = try verifiedContent(of: reader, sha256: sha256, into: writer)
            return StoredCopy(state: .intact, storedBytes: read.stored, contentBytes: read.content)
        } catch let damage as ContentDamage {
            return StoredCopy(state: .damaged(damage.reason), storedBytes: damage.stored, contentBytes: 0)
        }
    }

    /// What a snapshot's record names its objects by (`Snapshot.objectIDs`) must be what this
    /// transfer computes: a record of plain SHA-256 ids is never read from an encrypted store
    /// (that would be reading plaintext objects from it), nor one of keyed ids from a plaintext one.
    public func requireObjectIDs(of snapshot: Snapshot) throws {
        let keyed = snapshot.objectIDs == ObjectSealing.idKind
        if sealing != nil, !keyed {
            throw DPMError.corrupt("Snapshot \(snapshot.id) of \(snapshot.profile) names its objects by plain SHA-256, but the store \(store.displayName) is encrypted and dpm never reads plaintext objects from an encrypted store: its record was not written by dpm for this store; restore another snapshot (--snapshot ID) or upload a new one.")
        }
        if sealing == nil, keyed {
            throw DPMError.corrupt("Snapshot \(snapshot.id) of \(snapshot.profile) names its objects by keyed ids, as only an encrypted store does, but the store \(store.displayName) is not encrypted: its record was not written by dpm for this store; restore another snapshot (--snapshot ID) or upload a new one.")
        }
    }

    /// Writes an object's verified content to `path`; nothing is left at `path` on failure.
    /// `durable: false` is for scratch files read once and deleted: syncing them would only
    /// make the disk write what nobody reads back after a crash.
    public func fetch(_ artifact: Artifact, to path: String, mode: mode_t = 0o644, durable: Bool = true) throws {
        let writer = try FileWriter(path: path, exclusive: true, mode: mode, durable: durable)
        writer.preallocate(artifact.size)
        do {
            try read(artifact, into: writer, what: artifact.path)
            try writer.finish()
        } catch {
            unlink(path)
            throw error
        }
    }

    /// An object's verified content in memory (records, indexes, schemas).
    public func fetchData(sha256: String, what: String) throws -> Data {
        let sink = DataWriter()
        try read(sha256: sha256, into: sink, what: what)
        return sink.data
    }
}

extension ObjectStore {
    public func exists(_ key: String) throws -> Bool { try storedSize(key) != nil }
}
