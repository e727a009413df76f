import Foundation

/// What a gc's marker `gc/<id>.json` says: whether it runs, whether it has begun deleting
/// (swept), and what it deleted. Uploads read the markers at their commit check: a running one
/// makes them wait, a swept one newer than their lease makes them check their objects again.
public struct GCMarkerRecord: Codable, Sendable, Equatable {
    public enum State: String, Codable, Sendable { case running, finished }

    public var host: String
    public var pid: Int32
    public var state: State
    /// Set (before the first delete) once this gc may delete objects.
    public var swept: Bool
    /// A --dry-run never deletes an object; uploads do not wait for it.
    public var dryRun: Bool
    public var startedAt: String
    public var finishedAt: String?
    public var deleted: Int?
    public var bytes: Int64?
    public var tool: String
}

/// A marker as an upload or another gc finds it: its record and the store's time of its last write.
struct FoundGCMarker: Sendable {
    let key: String
    /// The store's time of the marker's last write: the finish of a finished marker, the last
    /// refresh of a running one.
    let written: Date
    /// nil when the marker could not be read: then it is taken as a swept gc that may still run.
    let record: GCMarkerRecord?

    var isDryRun: Bool { record?.dryRun == true }
    var swept: Bool { record?.swept ?? true }
    var host: String { record?.host ?? "an unknown host" }

    /// Running and rewritten within the stale window, by the store's clock `now`.
    func isLive(now: Date, stale: Double) -> Bool {
        (record?.state ?? .running) == .running && now.timeIntervalSince(written) < stale
    }

    static let prefix = "gc/"

    static func key(_ id: String) -> String { "\(prefix)\(id).json" }

    /// Every marker in the store, each read.
    static func list(in store: ObjectStore) throws -> [FoundGCMarker] {
        try store.entries(prefix: prefix).filter { $0.key.hasSuffix(".json") }.map { entry in
            let record = (try? store.open(entry.key).readAll(limit: 1 << 20)).flatMap {
                try? CanonicalJSON.decode(GCMarkerRecord.self, from: $0, what: entry.key)
            }
            return FoundGCMarker(key: entry.key, written: entry.modified, record: record)
        }
    }
}

/// The running gc's own marker: written at the start, when it begins to sweep and when it
/// finishes, and rewritten in the background meanwhile, so that uploads can tell it is alive.
final class GCMarker: @unchecked Sendable {
    let key: String
    private let store: ObjectStore
    private let record: Locked<GCMarkerRecord>
    private let refresher: LeaseRefresher
    /// Tg: the store's time of the marker's first write.
    let started: Date
    private let settings: LeaseSettings
    private let now: @Sendable () -> Date

    init(workspace: Workspace, dryRun: Bool) throws {
        try workspace.leases.require()
        settings = workspace.leases
        store = workspace.store
        now = workspace.now
        key = FoundGCMarker.key(UUID().uuidString.lowercased())
        let initial = GCMarkerRecord(host: workspace.host, pid: ProcessInfo.processInfo.processIdentifier, state: .running, swept: false,
                                     dryRun: dryRun, startedAt: Timestamp.iso8601(workspace.now()), finishedAt: nil, deleted: nil,
                                     bytes: nil, tool: "dpm \(workspace.toolVersion)")
        record = Locked(initial)
        let written = MonotonicClock.seconds()
        started = try StoreClock.put(try CanonicalJSON.encode(initial), at: key, in: store)
        let (store, key, record) = (store, key, record)
        refresher = LeaseRefresher(interval: settings.refreshSeconds, written: written) {
            try store.put(key, from: DataReader(try CanonicalJSON.encode(record.current)))
        }
        refresher.start()
    }

    /// Marks the gc as one that may delete, before its first delete.
    func markSwept() throws {
        let started = MonotonicClock.seconds()
        let data = try record.withValue { record -> Data in
            record.swept = true
            return try CanonicalJSON.encode(record)
        }
        try store.put(key, from: DataReader(data))
        refresher.noteSuccess(at: started)
    }

    var isSwept: Bool { record.current.swept }

    /// Whether the marker is still surely alive in every upload's eyes: rewritten less than
    /// stale − refresh ago (by the local monotonic clock). A gc frozen longer may have been
    /// taken for dead, and must not delete on.
    var isSafelyAlive: Bool { refresher.sinceLastSuccess() < settings.lapseSeconds }

    /// Stops the refresher and writes the marker finished, with what was deleted.
    func finish(deleted: Int, bytes: Int64) throws {
        refresher.stop()
        let data = try record.withValue { record -> Data in
            record.state = .finished
            record.finishedAt = Timestamp.iso8601(now())
            record.deleted = deleted
            record.bytes = bytes
            return try CanonicalJSON.encode(record)
        }
        try store.put(key, from: DataReader(data))
    }

    /// A dry run leaves nothing behind.
    func remove() {
        refresher.stop()
        try? store.delete(key)
    }

    deinit { refresher.stop() }
}
