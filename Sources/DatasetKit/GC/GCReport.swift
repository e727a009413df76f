import Foundation

/// What `dpm gc` asks.
public struct GCRequest: Sendable {
    /// Report what would be deleted, and delete nothing.
    public var dryRun: Bool
    /// Deletes (and listings) at once.
    public var jobs: Int

    public init(dryRun: Bool = false, jobs: Int = 16) {
        self.dryRun = dryRun
        self.jobs = max(1, jobs)
    }
}

/// An upload lease gc found: whose, and since when.
public struct GCLease: Codable, Sendable, Equatable {
    public var key: String
    public var host: String
    public var profile: String
    /// The upload's own clock's start (as its lease says).
    public var since: String
    /// The store's time of the lease's last rewrite.
    public var rewrittenAt: String
}

/// What `dpm gc` found and did (or, with --dry-run, would do).
public struct GCReport: Codable, Sendable, Equatable {
    public var store: String
    public var dryRun: Bool
    /// Seconds an object, lease or marker stays young or alive (DPM_LEASE_STALE_SECONDS).
    public var staleSeconds: Double
    public var records: Int
    /// Objects that some record (or media index) names, and their stored bytes.
    public var referencedObjects: Int
    public var referencedBytes: Int64
    /// Unreferenced objects older than the stale window: deleted (with --dry-run: would be).
    public var garbageObjects: Int
    public var garbageBytes: Int64
    /// Of them, what was deleted: all of them, or none with --dry-run (or when gc stopped early).
    public var deletedObjects: Int
    public var deletedBytes: Int64
    /// Unreferenced objects written within the stale window: kept, an upload may be about to name them.
    public var youngObjects: Int
    public var youngBytes: Int64
    /// Damage marks of garbage or of objects that no longer exist: removed (with --dry-run: would be).
    public var damageMarks: Int
    /// Leases of uploads that crashed or froze: removed (with --dry-run: would be).
    public var staleLeases: [GCLease]
    /// Uploads running now: with them, gc deletes nothing (exit 75), a dry run only says so.
    public var liveUploads: [GCLease]
    /// Markers of earlier gcs no upload needs any more, removed.
    public var markersRemoved: Int
    public var seconds: Double

    /// Whether gc deleted nothing because uploads were running (exit 75).
    public var blocked: Bool { !dryRun && !liveUploads.isEmpty }

    /// The one sentence of a gc that a running upload stopped (or the note of a dry run).
    public var runningUploadsSentence: String? {
        guard !liveUploads.isEmpty else { return nil }
        let outcome = dryRun ? "gc without --dry-run would delete nothing now" : "gc deleted nothing"
        if liveUploads.count == 1, let lease = liveUploads.first {
            return "An upload of \(lease.profile) from \(lease.host) has been running since \(lease.since); \(outcome): run it again when it has finished."
        }
        let uploads = liveUploads.map { "\($0.profile) from \($0.host) (since \($0.since))" }
        return "Uploads of \(uploads.joined(separator: ", ")) are running; \(outcome): run it again when they have finished."
    }

    init(store: String, dryRun: Bool, staleSeconds: Double) {
        self.store = store
        self.dryRun = dryRun
        self.staleSeconds = staleSeconds
        records = 0
        referencedObjects = 0
        referencedBytes = 0
        garbageObjects = 0
        garbageBytes = 0
        deletedObjects = 0
        deletedBytes = 0
        youngObjects = 0
        youngBytes = 0
        damageMarks = 0
        staleLeases = []
        liveUploads = []
        markersRemoved = 0
        seconds = 0
    }
}
