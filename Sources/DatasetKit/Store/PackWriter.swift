import Foundation

/// Bundles one upload's small objects into packs (format 3), so that the requests a snapshot
/// costs grow with its bytes and not with its number of tables: 1,200 small tables are a few
/// pack puts instead of 1,200 object puts. A member is placed as it is added (the pack's
/// random name and the offset are known at once), and a pack is put when it reaches
/// `targetSize`, or by `finish`; a record naming a member is written only after `finish`, so a
/// crash leaves at most an unreferenced pack. An unchanged small object that the profile's
/// newest record places in a pack the store still has is not stored again: the new record
/// names the same place. Safe to use from several threads at once.
final class PackWriter: @unchecked Sendable {
    /// Where the newest record of the profile places a member, and its stored size.
    struct Recorded: Sendable {
        let at: PackedAt
        let storedSize: Int64
    }

    /// Contents below this size travel in packs (`ChunkerParameters.minimum`: a content the
    /// chunker cut at all is never packed).
    let memberLimit: Int
    let targetSize: Int
    private let store: ObjectStore
    private let recorded: [String: Recorded]
    private let lock = NSLock()
    private var pending = Data()
    private var pendingID = PackWriter.newPackID()
    private var pendingMembers: [PackFormat.Member] = []
    /// Member id → what adding it gave, so that identical contents (empty tables) are placed once.
    private var placed: [String: ObjectTransfer.Stored] = [:]
    /// Every pack a placed member lies in → its stored size (put by this upload, or found).
    private var packs: [String: Int64] = [:]
    /// Packs of the recorded places, looked up once each.
    private let recordedPacks: PackSizes

    init(store: ObjectStore, recorded: [String: Recorded], memberLimit: Int = ChunkerParameters.standard.minimum,
         targetSize: Int = 16 << 20) {
        self.store = store
        self.recorded = recorded
        self.memberLimit = memberLimit
        self.targetSize = targetSize
        recordedPacks = PackSizes(store: store)
    }

    /// Places the object `id` (`size` bytes of content): where the recorded place still holds
    /// it (unless `damaged`), else in the pending pack with the stored bytes `storedBytes` gives.
    func add(id: String, size: Int64, damaged: Bool, storedBytes: () throws -> Data) throws -> ObjectTransfer.Stored {
        if let known = lock.withLock({ placed[id] }) { return known.reused }
        if !damaged, let place = recorded[id], let packSize = try recordedPacks.size(of: place.at.pack), packSize >= place.at.end(storedSize: place.storedSize) {
            let reused = ObjectTransfer.Stored(sha256: id, size: size, storedSize: place.storedSize, newlines: 0, isNew: false,
                                               packedAt: place.at)
            lock.withLock {
                placed[id] = reused
                packs[place.at.pack] = packSize
            }
            return reused
        }
        let bytes = try storedBytes()
        if damaged, let place = recorded[id], let repaired = try repair(id, size: size, at: place, with: bytes) {
            lock.withLock { placed[id] = repaired }
            return repaired
        }
        let (stored, full): (ObjectTransfer.Stored, (id: String, data: Data)?) = try lock.withLock {
            if let known = placed[id] { return (known.reused, nil) }
            let at = PackedAt(pack: pendingID, offset: Int64(pending.count))
            pending.append(bytes)
            pendingMembers.append(PackFormat.Member(id: id, offset: at.offset, storedSize: Int64(bytes.count)))
            let stored = ObjectTransfer.Stored(sha256: id, size: size, storedSize: Int64(bytes.count), newlines: 0, isNew: true, packedAt: at)
            placed[id] = stored
            return (stored, pending.count >= targetSize ? try takePending() : nil)
        }
        if let full { try put(full) }
        return stored
    }

    /// A member `dpm verify` marked damaged is mended where it is, so that every record placing
    /// it there (older snapshots too) reads it intact again: its pack, read whole, gets the new
    /// stored bytes in the member's range and replaces itself (a verified put). Only when the
    /// new bytes are as long as the old (the same codec level: zstd and sealing are
    /// deterministic in length) and the pack still reaches the member's end; nil otherwise, and
    /// the member is placed anew in this upload's pack.
    private func repair(_ id: String, size: Int64, at place: Recorded, with bytes: Data) throws -> ObjectTransfer.Stored? {
        let key = StoreLayout.objectKey(place.at.pack)
        guard Int64(bytes.count) == place.storedSize, var pack = try? store.open(key).readAll(),
              Int64(pack.count) >= place.at.end(storedSize: place.storedSize) else { return nil }
        pack.replaceSubrange(Int(place.at.offset)..<Int(place.at.end(storedSize: place.storedSize)), with: bytes)
        let written = try store.put(key, from: DataReader(pack), expectedSHA256: SHA256Hex.of(pack), overwrite: true)
        lock.withLock { packs[place.at.pack] = written.size }
        return ObjectTransfer.Stored(sha256: id, size: size, storedSize: place.storedSize, newlines: 0, isNew: true,
                                     replacedSize: place.storedSize, packedAt: place.at)
    }

    /// Puts the pack still pending; returns every pack the placed members lie in, with its
    /// stored size (for the upload's commit check). Called once every `add` has returned.
    func finish() throws -> [String: Int64] {
        if let last = try lock.withLock({ pending.isEmpty ? nil : try takePending() }) { try put(last) }
        return lock.withLock { packs }
    }

    /// The pending pack, completed with its index, and a new empty one in its place (under the lock).
    private func takePending() throws -> (id: String, data: Data) {
        var data = pending
        data.append(try PackFormat.trailer(for: pendingMembers))
        let taken = (pendingID, data)
        pending = Data()
        pendingMembers = []
        pendingID = Self.newPackID()
        return taken
    }

    private func put(_ pack: (id: String, data: Data)) throws {
        // The store checks that what it publishes is exactly these bytes; each member was
        // verified (decompressed and hashed) when its bytes were made.
        let written = try store.put(StoreLayout.objectKey(pack.id), from: DataReader(pack.data), expectedSHA256: SHA256Hex.of(pack.data),
                                    overwrite: false)
        lock.withLock { packs[pack.id] = written.size }
    }

    /// A random name: a pack's content is not known when its first member is placed in it.
    static func newPackID() -> String {
        var generator = SystemRandomNumberGenerator()
        return (0..<4).map { _ in String(format: "%016llx", generator.next() as UInt64) }.joined()
    }
}

extension ObjectTransfer.Stored {
    /// The same object, named again by a later artifact of the upload.
    var reused: ObjectTransfer.Stored {
        var copy = self
        copy.isNew = false
        copy.replacedSize = nil
        return copy
    }
}
