import Foundation

/// Before a restore builds anything: every object the snapshot names must be in the store
/// (or the download cache) with the stored size its record gives (every chunk, with the size
/// its chunk list gives: the lists are read here), so that a missing or
/// truncated object stops the work at once instead of after minutes of loading. The schema
/// dump, which the restore itself does not read (pg_restore takes the schema from the
/// dump's table of contents), is read and verified here in full.
struct SnapshotObjectCheck {
    let transfer: ObjectTransfer
    /// What the snapshot is checked for, in the refusal: "cannot be restored".
    var action = "restored"
    /// Lookups in flight at once: they wait on the store (stat, HEAD), not on the CPU.
    var width = 16

    private struct Needed: Sendable {
        let sha256: String
        /// The stored size the snapshot recorded; nil for media files of older snapshots.
        let storedSize: Int64?
        let label: String
        /// Read and verified in full, not only looked up.
        let read: Bool
        /// Its place in a pack, when it travels in one: the pack is looked up instead.
        var packedAt: PackedAt? = nil

        var reading: Needed { Needed(sha256: sha256, storedSize: storedSize, label: label, read: true, packedAt: packedAt) }
    }

    private struct Problem: Sendable, Comparable {
        let label: String
        let sha256: String
        let reason: String
        static func < (a: Problem, b: Problem) -> Bool { (a.label, a.sha256) < (b.label, b.sha256) }
    }

    /// Throws one sentence naming the first missing or damaged object; `media` is the
    /// snapshot's media index when its files will be restored too.
    func check(_ snapshot: Snapshot, media: [MediaEntry]?) throws {
        var needed = [Needed(sha256: snapshot.schema.sha256, storedSize: snapshot.schema.storedSize, label: "schema.sql", read: true)]
        if let index = snapshot.media?.index {
            needed.append(Needed(sha256: index.sha256, storedSize: index.storedSize, label: "media index", read: false))
        }
        // Every file restored: the data's, and the media files' when they are restored too.
        // (A media file of an older index has no stored size: nil, only looked up.)
        let files = snapshot.data.map { (artifact: $0, storedSize: Optional($0.storedSize), label: Self.label(of: $0)) }
            + (media ?? []).map { (artifact: $0.artifact, storedSize: $0.storedSize, label: "media file \($0.path)") }
        // Chunk lists are read (and so verified) here, for the chunks they name.
        let lists = Locked([String: [Chunk]]())
        let unlisted = Locked([Problem]())
        try concurrentForEach(files.filter { $0.artifact.chunks != nil }, width: width) { [transfer] file in
            do {
                let chunks = try transfer.chunks(of: file.artifact, what: file.label)
                lists.withValue { $0[file.artifact.sha256] = chunks }
            } catch let error as DPMError {
                let reason = error.kind == .notFound ? "is missing" : "cannot be read (\(sentence(error.message).dropLast()))"
                unlisted.withValue { $0.append(Problem(label: "chunk list of \(file.label)", sha256: file.artifact.sha256, reason: reason)) }
            }
        }
        for file in files {
            guard file.artifact.chunks != nil else {
                needed.append(Needed(sha256: file.artifact.sha256, storedSize: file.storedSize, label: file.label, read: false,
                                     packedAt: file.artifact.pack))
                continue
            }
            let chunks = lists.current[file.artifact.sha256] ?? []
            for (number, chunk) in chunks.enumerated() {
                needed.append(Needed(sha256: chunk.id, storedSize: chunk.storedSize, label: "\(file.label), chunk \(number + 1) of \(chunks.count)",
                                     read: false))
                if let base = chunk.base {
                    needed.append(Needed(sha256: base, storedSize: nil, label: "base of \(file.label), chunk \(number + 1)", read: false))
                }
            }
        }
        var seen = Set<String>()
        needed = needed.filter { seen.insert($0.sha256).inserted }
        // An object dpm verify marked damaged is read in full whatever its size says (a flipped
        // byte keeps it). One listing, and only when some object is to come from the store: a
        // cached copy is verified as it is read.
        let fromStore = needed.contains { transfer.cache?.open($0.sha256) == nil }
        let marked = fromStore ? (try? DamageMarks.list(in: transfer.store)) ?? [] : []
        needed = needed.map { marked.contains($0.sha256) ? $0.reading : $0 }

        let problems = Locked(unlisted.current)
        let packs = PackSizes(store: transfer.store)
        try concurrentForEach(needed, width: width) { [transfer] item in
            if let reason = try Self.problem(with: item, transfer: transfer, packs: packs) {
                problems.withValue { $0.append(Problem(label: item.label, sha256: item.sha256, reason: reason)) }
            }
        }
        let found = problems.current.sorted()
        guard let first = found.first else { return }
        let more = found.count > 1 ? ", and \(found.count - 1) more object\(found.count == 2 ? " is" : "s are") missing or damaged" : ""
        let mark = marked.contains(first.sha256) ? " (\(DamageMarks.note(for: first.sha256, in: transfer.store)))" : ""
        throw DPMError.corrupt("Snapshot \(snapshot.id) cannot be \(action) from \(transfer.store.displayName): object \(first.sha256) (\(first.label)) \(first.reason)\(mark)\(more); nothing was changed.")
    }

    /// As the restore's reads name it: "3418.dat, data of public.orders".
    private static func label(of artifact: Artifact) -> String {
        artifact.table.map { "\(artifact.path), data of \($0)" } ?? artifact.path
    }

    /// Why the object cannot be used, or nil when it can.
    private static func problem(with item: Needed, transfer: ObjectTransfer, packs: PackSizes) throws -> String? {
        // A cached copy is verified whenever it is read, and the restore reads that one.
        if !item.read, let cache = transfer.cache, cache.open(item.sha256) != nil { return nil }
        if let place = item.packedAt {
            let storedSize = item.storedSize ?? 0
            guard let size = try packs.size(of: place.pack) else { return "is missing: the store has no pack \(place.pack), which holds it" }
            guard size >= place.end(storedSize: storedSize) else {
                return "lies beyond the end of its pack \(place.pack), which has \(size) bytes"
            }
            guard item.read else { return nil }
            do {
                try transfer.read(sha256: item.sha256, into: NullWriter(), what: item.label, packedAt: place, storedSize: storedSize)
            } catch is DPMError {
                return "does not verify against its \(transfer.sealing == nil ? "SHA-256 name" : "keyed id")"
            }
            return nil
        }
        let key = StoreLayout.objectKey(item.sha256)
        if !item.read {
            guard let size = try transfer.store.storedSize(key) else { return "is missing" }
            if item.storedSize == nil || size == item.storedSize { return nil }
            // A copy stored again at another compression level has another size but the same content.
            if (try? transfer.read(sha256: item.sha256, into: NullWriter(), what: item.label)) != nil { return nil }
            return "has \(size) bytes where the snapshot recorded \(item.storedSize ?? 0), and its content does not verify"
        }
        guard try transfer.cache?.open(item.sha256) != nil || transfer.store.storedSize(key) != nil else { return "is missing" }
        do {
            try transfer.read(sha256: item.sha256, into: NullWriter(), what: item.label)
        } catch is DPMError {
            return "does not verify against its \(transfer.sealing == nil ? "SHA-256 name" : "keyed id")"
        }
        return nil
    }
}
