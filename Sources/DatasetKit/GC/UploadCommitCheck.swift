import Foundation

/// The last step of an upload before its record is put: make sure no gc deleted, while the
/// upload ran, an object the record will name (see ARCHITECTURE.md, "Why gc cannot delete what
/// an upload needs"). A gc still running is waited for; a gc that swept after the lease was
/// taken (or any gc at all, when the lease lapsed and a gc may have taken it for dead) means
/// every object is checked in the store again. The check repeats from the time of its own lease
/// rewrite, so that a gc sweeping during the check is caught too, at most `rounds` times.
struct UploadCommitCheck {
    let lease: UploadLease
    let note: @Sendable (String) -> Void
    var pollSeconds = 0.5
    var rounds = 3
    /// Few objects are asked one by one; more are found in listings of their shards.
    var objectsAskedOneByOne = 64

    var store: ObjectStore { lease.store }

    /// `objects`: every object the record will name, with the stored size it gives.
    func run(objects: [String: Int64]) throws {
        var waitedFor = Set<String>()
        // Markers (key → last write) a round already checked after: finished before that round
        // listed them, so every delete of theirs came before its check. Without this, a marker
        // written in the same second as the lease rewrite (S3 times are whole seconds, and
        // `>=` must count a tie) would be taken as new in every round.
        var covered: [String: Date] = [:]
        for _ in 0..<rounds {
            let (markers, rewritten) = try waitForRunningGCs(saying: &waitedFor)
            let swept = markers.filter { !$0.isDryRun && $0.swept && $0.written >= lease.since && covered[$0.key] != $0.written }
            guard lease.lapsed || !swept.isEmpty else { return }
            let missing = try absent(objects)
            guard missing.isEmpty else {
                let hosts = Set(swept.map(\.host)).sorted()
                let who = hosts.isEmpty ? "another machine" : hosts.joined(separator: " and ")
                throw DPMError.conflict("gc on \(who) deleted objects this upload reused while it ran (\(missing.count) of the \(objects.count) it needs are gone); nothing was recorded: run the upload again.")
            }
            for marker in swept { covered[marker.key] = marker.written }
            lease.moveSince(to: rewritten)
        }
        throw DPMError.conflict("gc kept deleting objects in the store while this upload checked that its objects are still there; nothing was recorded: run the upload again.")
    }

    /// Waits while a gc that is alive (rewritten within the stale window, by the store's clock)
    /// runs; returns the markers then found, and the store's time of the lease rewrite made just
    /// before they were listed.
    private func waitForRunningGCs(saying waitedFor: inout Set<String>) throws -> ([FoundGCMarker], Date) {
        while true {
            let now = try lease.rewrite()
            let markers = try FoundGCMarker.list(in: store)
            let running = markers.filter { !$0.isDryRun && $0.isLive(now: now, stale: lease.settings.staleSeconds) }
            if running.isEmpty { return (markers, now) }
            for host in Set(running.map(\.host)).sorted() where waitedFor.insert(host).inserted {
                note("Waiting for gc on \(host) to finish before writing the snapshot record.")
            }
            Thread.sleep(forTimeInterval: pollSeconds)
        }
    }

    /// The objects the store does not have with the size the record gives.
    private func absent(_ objects: [String: Int64]) throws -> [String] {
        let found = Locked([String: Int64]())
        if objects.count <= objectsAskedOneByOne {
            try concurrentForEach(Array(objects.keys), width: 16) { [store] id in
                if let size = try store.storedSize(StoreLayout.objectKey(id)) { found.withValue { $0[id] = size } }
            }
        } else {
            let shards = Set(objects.keys.map { "objects/\($0.prefix(2))/" }).sorted()
            try concurrentForEach(shards, width: 16) { [store] shard in
                let entries = try store.entries(prefix: shard)
                found.withValue { found in
                    for entry in entries { if let id = ObjectListing.id(of: entry.key) { found[id] = entry.size } }
                }
            }
        }
        let sizes = found.current
        return objects.filter { sizes[$0.key] != $0.value }.map(\.key).sorted()
    }
}
