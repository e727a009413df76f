import Foundation

/// Small objects in packs (format 3): stored by `PackWriter` during an upload, read back as
/// the objects they are. A member's bytes in its pack are exactly its stored bytes, so the
/// download cache keeps each member as an object of its own.
extension ObjectTransfer {
    /// Places a small content in the upload's packs: its stored bytes made (compressed, sealed)
    /// and verified as a put would verify them, unless a recorded place still holds it.
    func storePacked(_ data: Data, in packs: PackWriter) throws -> Stored {
        let sha256 = sealing?.id(of: data) ?? SHA256Hex.of(data)
        let marked = isMarkedDamaged(sha256)
        let stored = try packs.add(id: sha256, size: Int64(data.count), damaged: marked) {
            let compressed = try codec.compressing(DataReader(data))
            let bytes = try (sealing?.seal(compressed) ?? compressed).readAll()
            _ = try readVerified(DataReader(bytes), sha256: sha256, into: NullWriter(), source: "the pack being written", label: sha256)
            return bytes
        }
        // Stored anew (mended in its pack, or placed in a new one): the mark has done its work,
        // as for an object of its own (`storeIfAbsent`).
        if marked, stored.isNew { removeMark(sha256) }
        return stored
    }

    /// The member's range of its pack, read from the store itself.
    func openPacked(_ sha256: String, at place: PackedAt, storedSize: Int64, label: String) throws -> ByteReader {
        do {
            return try store.open(StoreLayout.objectKey(place.pack), range: place.offset..<place.end(storedSize: storedSize))
        } catch let error as DPMError where error.kind == .notFound {
            throw missingPack(place.pack, holding: label)
        }
    }

    private func missingPack(_ pack: String, holding label: String) -> DPMError {
        DPMError.notFound("The store \(store.displayName) has no pack \(pack), which holds object \(label); the snapshot cannot be restored from this store.")
    }

    /// Downloads the pack at `place` once (other threads wanting it wait) and admits into the
    /// cache the member wanted, then every other member its index lists that the cache lacks,
    /// each verified against its id; a later read of any of them is then a cache hit. Only the
    /// wanted member's failure is an error: the others are fetched again when they are wanted.
    func fetchPack(holding sha256: String, at place: PackedAt, storedSize: Int64, label: String) throws {
        guard let cache else { return }
        try packFetches.exclusively(place.pack) {
            guard cache.open(sha256) == nil else { return }
            let pack: Data
            do {
                pack = try store.open(StoreLayout.objectKey(place.pack)).readAll()
            } catch let error as DPMError where error.kind == .notFound {
                throw missingPack(place.pack, holding: label)
            }
            guard Int64(pack.count) >= place.end(storedSize: storedSize) else {
                throw DPMError.corrupt("Object \(label) in \(store.displayName) is corrupt: its pack \(place.pack) has \(pack.count) bytes, too few to hold it at \(place.offset)…\(place.end(storedSize: storedSize)).")
            }
            try admit(sha256, from: pack, offset: place.offset, storedSize: storedSize, label: "\(label) in pack \(place.pack)")
            for member in (try? PackFormat.members(of: pack, what: place.pack)) ?? [] where member.id != sha256 && cache.open(member.id) == nil {
                try? admit(member.id, from: pack, offset: member.offset, storedSize: member.storedSize, label: member.id)
            }
        }
    }

    private func admit(_ sha256: String, from pack: Data, offset: Int64, storedSize: Int64, label: String) throws {
        guard let cache else { return }
        let bytes = pack[pack.startIndex + Int(offset) ..< pack.startIndex + Int(offset + storedSize)]
        _ = try readVerified(DataReader(Data(bytes)), sha256: sha256, into: NullWriter(), source: store.displayName, label: label)
        let entry = try cache.makeEntry()
        do {
            try bytes.withUnsafeBytes { try entry.writer.write($0) }
            try entry.writer.finish()
            try cache.admit(entry.path, as: sha256)
        } catch {
            cache.discard(entry.path)
            throw error
        }
    }
}

/// The stored size of each pack asked about, looked up once however many objects it holds
/// (threads asking for one pack at once wait for the first one's answer).
struct PackSizes: Sendable {
    let store: ObjectStore
    private let known = Locked([String: Int64?]())
    private let lookups = PackLocks()

    init(store: ObjectStore) { self.store = store }

    /// nil when the store does not have it.
    func size(of pack: String) throws -> Int64? {
        var size: Int64?
        try lookups.exclusively(pack) {
            if let found = known.current[pack] {
                size = found
                return
            }
            size = try store.storedSize(StoreLayout.objectKey(pack))
            known.withValue { $0[pack] = size }
        }
        return size
    }
}

/// One lock per pack: a second reader of a pack being fetched (or looked up) waits for the
/// first, then finds its member in the cache (or the size known).
final class PackLocks: @unchecked Sendable {
    private let lock = NSLock()
    private var locks: [String: NSLock] = [:]

    func exclusively(_ pack: String, _ body: () throws -> Void) throws {
        let packLock = lock.withLock {
            if let known = locks[pack] { return known }
            let made = NSLock()
            locks[pack] = made
            return made
        }
        packLock.lock()
        defer { packLock.unlock() }
        try body()
    }
}

extension ObjectStore {
    /// Reads the whole object and passes on only `range`: for stores that cannot do better.
    public func open(_ key: String, range: Range<Int64>) throws -> ByteReader {
        RangeReader(try open(key), range: range)
    }
}

/// The bytes of `range` of a stream read from its start.
public final class RangeReader: ByteReader {
    private let source: ByteReader
    private var skip: Int64
    private var left: Int64

    public init(_ source: ByteReader, range: Range<Int64>) {
        self.source = source
        skip = range.lowerBound
        left = range.upperBound - range.lowerBound
    }

    public func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        while skip > 0 {
            let count = try source.read(into: UnsafeMutableRawBufferPointer(rebasing: buffer[0..<Int(min(Int64(buffer.count), skip))]))
            if count == 0 { return 0 }
            skip -= Int64(count)
        }
        guard left > 0 else { return 0 }
        let count = try source.read(into: UnsafeMutableRawBufferPointer(rebasing: buffer[0..<Int(min(Int64(buffer.count), left))]))
        left -= Int64(count)
        return count
    }
}
