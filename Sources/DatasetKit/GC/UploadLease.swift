import Foundation

/// What an upload's lease `uploads/<id>.json` says of it, for a gc that finds it.
public struct UploadLeaseRecord: Codable, Sendable, Equatable {
    public var host: String
    public var pid: Int32
    public var profile: String
    /// The uploading machine's clock, shown to people; liveness is the store's time of the key.
    public var startedAt: String
    public var tool: String
}

/// An upload's lease: put before the upload's first existence check of an object and
/// rewritten in the background until its record is written. A gc that finds a live lease
/// deletes nothing; a lease not rewritten for the stale window is dead (its upload crashed or
/// froze), and the upload whose lease lapsed checks every object it names again at its commit
/// check (`UploadCommitCheck`).
final class UploadLease: @unchecked Sendable {
    static let prefix = "uploads/"

    let key: String
    let store: ObjectStore
    let settings: LeaseSettings
    private let data: Data
    private let refresher: LeaseRefresher
    /// Tl: the store's time of the lease's first write (moved on by each commit-check round).
    private(set) var since: Date

    static func key(_ id: String) -> String { "\(prefix)\(id).json" }

    /// Puts the lease and starts its refresher.
    static func take(profile: String, workspace: Workspace) throws -> UploadLease {
        try workspace.leases.require()
        let record = UploadLeaseRecord(host: workspace.host, pid: ProcessInfo.processInfo.processIdentifier, profile: profile,
                                       startedAt: Timestamp.iso8601(workspace.now()), tool: "dpm \(workspace.toolVersion)")
        let key = key(UUID().uuidString.lowercased())
        let data = try CanonicalJSON.encode(record)
        let written = MonotonicClock.seconds()
        let since = try StoreClock.put(data, at: key, in: workspace.store)
        return UploadLease(key: key, store: workspace.store, settings: workspace.leases, data: data, since: since, written: written)
    }

    private init(key: String, store: ObjectStore, settings: LeaseSettings, data: Data, since: Date, written: Double) {
        self.key = key
        self.store = store
        self.settings = settings
        self.data = data
        self.since = since
        refresher = LeaseRefresher(interval: settings.refreshSeconds, written: written) { [store, key, data] in
            try store.put(key, from: DataReader(data))
        }
        refresher.start()
    }

    /// Rewrites the lease now; the store's time of the write.
    func rewrite() throws -> Date {
        let started = MonotonicClock.seconds()
        let time = try StoreClock.put(data, at: key, in: store)
        refresher.noteSuccess(at: started)
        return time
    }

    /// Whether the rewrites ever stopped long enough (since the lease was taken, or since the
    /// last `moveSince`) for a gc to have found the lease stale.
    var lapsed: Bool { refresher.longestSilence() > settings.lapseSeconds }

    /// A commit-check round covered everything up to `time`: Tl moves there.
    func moveSince(to time: Date) {
        since = time
        refresher.restartWatch()
    }

    /// Stops the refresher and deletes the lease (once the record is written, or the upload failed).
    func release() {
        refresher.stop()
        try? store.delete(key)
    }

    deinit { refresher.stop() }
}
