import Foundation

/// `dpm gc`: deletes the objects no snapshot record names, safely against uploads running on
/// other machines (see ARCHITECTURE.md, "Why gc cannot delete what an upload needs"):
/// 1. its marker `gc/<id>.json` is put, running; Tg is the store's time of it;
/// 2. an upload lease rewritten within the stale window of Tg means an upload is running:
///    nothing is deleted (the report says which; the command exits 75);
/// 3. every record (and media index) is read, then every object listed; garbage is what no
///    record names and was written before Tg − stale (younger objects may be an upload's);
/// 4. the marker says swept before the first delete, and before each batch of deletes the gc
///    checks that its marker was rewritten recently enough to be alive in every upload's eyes;
/// 5. the marker is written finished, and markers no upload needs any more are removed.
public struct GarbageCollection {
    let workspace: Workspace
    /// Objects deleted between two checks that this gc's marker is still alive.
    var batchSize = 256
    /// Records and media indexes read at once, and shards listed at once, as verify does:
    /// they wait on the store, not on the cores (which `--jobs` defaults to).
    var recordWidth = 32
    var listingWidth = 16

    public init(workspace: Workspace) {
        self.workspace = workspace
    }

    public func run(_ request: GCRequest) throws -> GCReport {
        let started = Date()
        let store = workspace.store
        let settings = workspace.leases
        try settings.require()
        var report = GCReport(store: store.displayName, dryRun: request.dryRun, staleSeconds: settings.staleSeconds)
        let marker = try GCMarker(workspace: workspace, dryRun: request.dryRun)
        let oldest = marker.started.addingTimeInterval(-settings.staleSeconds)
        do {
            try findLeases(before: oldest, into: &report)
            if report.blocked {
                // A gc that deleted nothing leaves nothing behind (no upload needs its marker).
                marker.remove()
                report.seconds = Date().timeIntervalSince(started)
                return report
            }
            workspace.progress.begin("Reading snapshot records")
            let references = try GCReferences.read(from: workspace, width: recordWidth)
            workspace.progress.begin("Listing objects")
            let stored = try ObjectListing.all(in: store, width: listingWidth)
            let marks = try DamageMarks.list(in: store)
            workspace.progress.end()
            try workspace.checkpoint("gc.after-listing")

            report.records = references.records
            let garbage = Self.garbage(in: stored, references: references, before: oldest, into: &report)
            let garbageIDs = Set(garbage.compactMap { ObjectListing.id(of: $0.key) })
            // A mark on an object in a pack stays while a record places it there: the pack is its copy.
            let staleMarks = marks.filter { garbageIDs.contains($0) || (stored[$0] == nil && !references.packed.contains($0)) }.sorted()
            report.damageMarks = staleMarks.count

            if request.dryRun {
                marker.remove()
            } else {
                for lease in report.staleLeases { try store.delete(lease.key) }
                if !garbage.isEmpty {
                    try marker.markSwept()
                    try workspace.checkpoint("gc.before-sweep")
                    try delete(garbage, marker: marker, jobs: request.jobs, into: &report)
                }
                try concurrentForEach(staleMarks, width: request.jobs) { try DamageMarks.remove($0, from: store) }
                try marker.finish(deleted: report.deletedObjects, bytes: report.deletedBytes)
                report.markersRemoved = try removeOldMarkers(before: oldest, besides: marker.key)
            }
        } catch {
            // Uploads must not wait for a gc that is gone; a swept one stays swept in their eyes,
            // one that deleted nothing leaves the store as it found it.
            if marker.isSwept {
                try? marker.finish(deleted: report.deletedObjects, bytes: report.deletedBytes)
            } else {
                marker.remove()
            }
            throw error
        }
        report.seconds = Date().timeIntervalSince(started)
        return report
    }

    /// The objects no record names that were written before `oldest`, by key; the report
    /// counts them, the referenced ones and the young ones.
    static func garbage(in stored: [String: StoreEntry], references: GCReferences, before oldest: Date,
                        into report: inout GCReport) -> [StoreEntry] {
        var garbage: [StoreEntry] = []
        for (id, entry) in stored {
            if references.objects.contains(id) {
                report.referencedObjects += 1
                report.referencedBytes += entry.size
            } else if entry.modified < oldest {
                garbage.append(entry)
            } else {
                report.youngObjects += 1
                report.youngBytes += entry.size
            }
        }
        report.garbageObjects = garbage.count
        report.garbageBytes = garbage.reduce(0) { $0 + $1.size }
        return garbage.sorted { $0.key < $1.key }
    }

    /// Sorts the leases into live ones (rewritten at or after `oldest`, by the store's clock)
    /// and stale ones.
    private func findLeases(before oldest: Date, into report: inout GCReport) throws {
        let store = workspace.store
        for entry in try store.entries(prefix: UploadLease.prefix) where entry.key.hasSuffix(".json") {
            let record = (try? store.open(entry.key).readAll(limit: 1 << 20)).flatMap {
                try? CanonicalJSON.decode(UploadLeaseRecord.self, from: $0, what: entry.key)
            }
            let lease = GCLease(key: entry.key, host: record?.host ?? "an unknown host", profile: record?.profile ?? "an unknown profile",
                                since: record?.startedAt ?? Timestamp.iso8601(entry.modified), rewrittenAt: Timestamp.iso8601(entry.modified))
            if entry.modified >= oldest { report.liveUploads.append(lease) } else { report.staleLeases.append(lease) }
        }
    }

    /// Deletes the garbage in batches, `jobs` at once, each batch only while the marker is
    /// surely alive: a gc frozen (suspended, swapped out) longer than that may have been taken
    /// for dead by an upload that then reused an object it is about to delete.
    private func delete(_ garbage: [StoreEntry], marker: GCMarker, jobs: Int, into report: inout GCReport) throws {
        let store = workspace.store
        workspace.progress.begin("Deleting objects", totalBytes: report.garbageBytes, totalItems: garbage.count)
        defer { workspace.progress.end() }
        var start = 0
        while start < garbage.count {
            guard marker.isSafelyAlive else {
                throw DPMError.interrupted("gc was paused too long to be safe (its marker in \(store.displayName) may have looked dead to uploads); it deleted \(report.deletedObjects) of \(garbage.count) objects: run it again.")
            }
            let batch = Array(garbage[start..<min(start + batchSize, garbage.count)])
            let deleted = Locked((count: 0, bytes: Int64(0)))
            defer {
                report.deletedObjects += deleted.current.count
                report.deletedBytes += deleted.current.bytes
            }
            try concurrentForEach(batch, width: jobs) { [progress = workspace.progress] entry in
                try store.delete(entry.key)
                deleted.withValue { $0.count += 1; $0.bytes += entry.size }
                progress.advance(bytes: entry.size, items: 1)
            }
            start += batch.count
        }
    }

    /// Removes the markers of other gcs last written before `oldest`: every upload whose lease
    /// was taken after that has a later Tl, so they are irrelevant to it; an upload whose lease
    /// lapsed checks every object anyway. (A running marker that old is a dead gc's.)
    private func removeOldMarkers(before oldest: Date, besides own: String) throws -> Int {
        var removed = 0
        for marker in try FoundGCMarker.list(in: workspace.store) where marker.key != own && marker.written < oldest {
            try workspace.store.delete(marker.key)
            removed += 1
        }
        return removed
    }
}
