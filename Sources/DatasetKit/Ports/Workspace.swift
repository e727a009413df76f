import Foundation

/// What every workflow needs from the outside world, injected by the executable
/// (or by tests): the project, its store, the codec, progress output and the clock.
public struct Workspace: Sendable {
    public let project: Project
    public let store: ObjectStore
    public let codec: CompressionCodec
    public let progress: ProgressMeter
    /// Where large temporary files (dump directories) go.
    public let temporaryDirectory: String
    public let toolVersion: String
    public let now: @Sendable () -> Date
    /// One-line notes for the user (skipped media files, steps); printed to stderr.
    public let note: @Sendable (String) -> Void
    /// Called at named steps where a crash must leave a consistent state; tests use it to
    /// stop the process exactly there.
    public let checkpoint: @Sendable (String) throws -> Void
    /// Verified objects downloaded from a remote store, reused by later restores.
    public let cache: ObjectCache?
    /// Whether the store's objects are sealed, decided on the first transfer (see `transfer()`).
    public let encryption: StoreEncryption
    /// How upload leases and gc markers are kept alive (`UploadLease`, `GarbageCollection`).
    public let leases: LeaseSettings
    /// Who this process is, in the leases and markers it writes.
    public let host: String
    /// Uploads place contents smaller than this in packs (`PackWriter`); 0 places none.
    public let packBelow: Int

    public init(project: Project, store: ObjectStore, codec: CompressionCodec, progress: ProgressMeter = .silent,
                temporaryDirectory: String = NSTemporaryDirectory(), toolVersion: String,
                now: @escaping @Sendable () -> Date = { Date() }, note: @escaping @Sendable (String) -> Void = { _ in },
                checkpoint: @escaping @Sendable (String) throws -> Void = { _ in }, cache: ObjectCache? = nil,
                encryption: StoreEncryption? = nil, leases: LeaseSettings = LeaseSettings(),
                host: String = ProcessInfo.processInfo.hostName, packBelow: Int = ChunkerParameters.standard.minimum) {
        self.project = project
        self.store = store
        self.codec = codec
        self.progress = progress
        self.temporaryDirectory = temporaryDirectory
        self.toolVersion = toolVersion
        self.now = now
        self.note = note
        self.checkpoint = checkpoint
        self.cache = cache
        self.encryption = encryption ?? StoreEncryption(store: store, config: project.config.encryption, identity: nil, cache: cache)
        self.leases = leases
        self.host = host
        self.packBelow = packBelow
    }

    /// The transfer of the store's objects, sealed as the store is. The first call decides that
    /// (`StoreEncryption.sealing`), and refuses an encrypted store dpm.yaml does not configure, a
    /// plaintext one it does, or an identity that cannot open the store's key.
    public func transfer() throws -> ObjectTransfer { transfer(sealing: try encryption.sealing()) }

    /// The transfer with `sealing` (an upload's, from `StoreEncryption.startUpload`).
    public func transfer(sealing: ObjectSealing?) -> ObjectTransfer {
        ObjectTransfer(store: store, codec: codec, progress: progress, cache: cache, sealing: sealing)
    }

    /// Makes a private scratch folder, runs `body`, and removes the folder whatever happens.
    public func withScratchDirectory<T>(_ label: String, _ body: (String) throws -> T) throws -> T {
        // The name carries our pid, so that dpm cleanup can tell a killed command's folder from ours.
        let path = try PrivateFiles.makeScratchFolder(in: temporaryDirectory, prefix: ScratchNames.prefix(label))
        defer { try? FileManager.default.removeItem(atPath: path) }
        return try body(path)
    }
}
