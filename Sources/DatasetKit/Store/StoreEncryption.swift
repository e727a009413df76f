import Foundation

/// Whether a command's objects are sealed, and with which keys: decided in this one place for
/// every command, from dpm.yaml's `encryption:` and what the store says of itself, the first
/// time the command reads or writes an object (a command that never touches objects needs no
/// identity). There is no fallback to plaintext:
///
/// | store \ dpm.yaml  | no `encryption:`                                 | `encryption:`                                    |
/// |-------------------|--------------------------------------------------|--------------------------------------------------|
/// | new (undecided)   | plaintext; the first upload writes dpm-store.json | the first upload makes the store key, encrypts    |
/// | plaintext         | plaintext                                         | refused: never encrypted in place                 |
/// | encrypted         | refused: never read or written as plaintext       | opened with the identity file                     |
public final class StoreEncryption: Sendable {
    public let store: ObjectStore
    public let config: EncryptionConfig?
    /// Where the user's identity is; nil when there is none (a store that needs one is refused).
    public let identity: EncryptionSettings?
    /// The download cache of a remote store, which keeps a copy of its settings.
    let cache: ObjectCache?
    /// Once decided, every transfer of the command seals (or not) the same way.
    private let decided = Locked<ObjectSealing??>(nil)

    public init(store: ObjectStore, config: EncryptionConfig?, identity: EncryptionSettings?, cache: ObjectCache? = nil) {
        self.store = store
        self.config = config
        self.identity = identity
        self.cache = cache
    }

    /// The sealing of the objects a command reads: nil for a plaintext store.
    public func sealing() throws -> ObjectSealing? {
        try decided.withValue { decided in
            if let decided { return decided }
            switch try checkedState() {
            case .plaintext:
                decided = .some(nil)
                return nil
            case .undecided:
                // Nothing is stored yet; the first upload decides (see `startUpload`).
                guard config == nil else {
                    throw DPMError.notFound("The store \(store.displayName) has nothing in it yet: its first upload encrypts it for the recipients in dpm.yaml.")
                }
                return nil
            case .encrypted:
                let sealing = ObjectSealing(ring: try openRing())
                decided = .some(sealing)
                return sealing
            }
        }
    }

    /// The store's state, after refusing the two combinations that must never go on: an
    /// encrypted store without `encryption:` in dpm.yaml, and a plaintext one with it. Needs no
    /// identity (`dpm status` asks it too).
    public func checkedState() throws -> StoreEncryptionState {
        let (state, hasSettings) = try recordedState()
        switch (state, config) {
        case (.encrypted, nil):
            throw DPMError.invalidInput("The store \(store.displayName) is encrypted, but dpm.yaml has no encryption: section, and dpm never reads an encrypted store as plaintext nor stores plaintext in it; put back the encryption: section your team committed (its recipients), or point store: in dpm.yaml (or DPM_STORE) at another store.")
        case (.plaintext, .some):
            let why = hasSettings ? "is a plaintext store (its dpm-store.json says so)" : "holds plaintext snapshots"
            throw DPMError.invalidInput("The store \(store.displayName) \(why), but dpm.yaml configures encryption:, and dpm never encrypts a store in place nor mixes plaintext and encrypted objects; to start an encrypted store, point store: in dpm.yaml (or DPM_STORE) at a new, empty location and upload each profile again, or remove encryption: from dpm.yaml to keep this store unencrypted.")
        default:
            return state
        }
    }

    /// What the store says of itself (`StoreEncryptionState.of`), and whether it has settings.
    /// A remote store's settings are kept beside the download cache once read: they are
    /// create-only, so the copy stays true, and a snapshot in the cache restores without the
    /// store as it did before stores had settings. A store of snapshots without settings is
    /// plaintext for good (nothing makes it encrypted), and is kept as such.
    private func recordedState() throws -> (StoreEncryptionState, hasSettings: Bool) {
        let key = StoreKeyLayout.settingsKey
        if let cache, let copy = FileManager.default.contents(atPath: cache.documentPath(key, of: store)),
           let settings = try? CanonicalJSON.decode(CachedSettings.self, from: copy, what: key) {
            return (settings.settings.encrypted ? .encrypted : .plaintext, !settings.inferred)
        }
        let settings = try StoreSettings.read(from: store)
        let state: StoreEncryptionState = try settings.map { $0.encrypted ? .encrypted : .plaintext }
            ?? (store.list(prefix: "snapshots/").isEmpty ? .undecided : .plaintext)
        if let cache, state != .undecided, let copy = try? CanonicalJSON.encode(
            CachedSettings(settings: settings ?? .plaintext(created: Date()), inferred: settings == nil)) {
            cache.keepDocument(copy, as: key, of: store)
        }
        return (state, settings != nil)
    }

    /// The copy of a store's settings in the cache; `inferred` when the store has snapshots but
    /// no dpm-store.json.
    private struct CachedSettings: Codable {
        var settings: StoreSettings
        var inferred: Bool
    }

    /// What an upload stores with, and what it must write to the store just before its first
    /// object (nothing when the store is settled already).
    public struct UploadStart: Sendable {
        public let sealing: ObjectSealing?
        fileprivate let write: (@Sendable () throws -> Void)?
        private let written = Locked(false)

        fileprivate init(sealing: ObjectSealing?, write: (@Sendable () throws -> Void)?) {
            self.sealing = sealing
            self.write = write
        }

        /// Writes the store's settings (and, for a new encrypted store, its key) the first time
        /// it is called, from whichever thread stores an object first; a store that another dpm
        /// settled the other way meanwhile is refused.
        public func publish() throws {
            try written.withValue { written in
                guard !written else { return }
                try write?()
                written = true
            }
        }
    }

    /// Decides for an upload: a new store becomes what dpm.yaml says (its key made now, in
    /// memory, and written by `publish`); a store with snapshots but no dpm-store.json gets one
    /// saying plaintext. The same refusals as `sealing()`.
    public func startUpload(now: Date) throws -> UploadStart {
        try decided.withValue { decided in
            let state = try checkedState()
            let store = store
            guard let config else {
                decided = .some(nil)
                guard try StoreSettings.read(from: store) == nil else { return UploadStart(sealing: nil, write: nil) }
                return UploadStart(sealing: nil, write: { try Self.writePlaintextSettings(to: store, now: now) })
            }
            if state == .encrypted, try StoreKeyring.latestGeneration(in: store) != nil {
                let sealing = ObjectSealing(ring: try openRing())
                decided = .some(sealing)
                return UploadStart(sealing: sealing, write: nil)
            }
            guard !config.recipients.isEmpty else {
                throw DPMError.invalidInput("dpm.yaml's encryption: lists no recipients, so nobody could read the store; add yours with \"dpm key add age1…\" (\"dpm key generate\" prints it).")
            }
            let start = try StoreKeyring.starting(store, recipients: config.recipients, now: now)
            let sealing = ObjectSealing(ring: start.ring)
            decided = .some(sealing)
            return UploadStart(sealing: sealing, write: { try start.publish(to: store) })
        }
    }

    private static func writePlaintextSettings(to store: ObjectStore, now: Date) throws {
        do {
            try StoreSettings.plaintext(created: now).create(in: store)
        } catch let error as DPMError where error.kind == .conflict {
            guard try StoreSettings.read(from: store)?.encrypted == false else {
                throw DPMError.conflict("The store \(store.displayName) was just made an encrypted store by another dpm, so this upload stored nothing; put the encryption: section your team committed into dpm.yaml and run it again.")
            }
        }
    }

    /// The ring, opened with the identity file.
    private func openRing() throws -> StoreKeyring {
        guard let identity else {
            throw DPMError.invalidInput("The store \(store.displayName) is encrypted, and this dpm was given no identity file to open it.")
        }
        let identities: [AgeIdentity]
        do {
            identities = try IdentityFile.load(path: identity.identityFile)
        } catch let error as DPMError where error.kind == .notFound {
            let fix = identity.identityFileFromEnvironment
                ? "DPM_IDENTITY_FILE names a file that does not exist; point it at your identity file"
                : "make one with \"dpm key generate\" and ask someone who can read the store to run \"dpm key add\" with the key it prints, or set DPM_IDENTITY_FILE to yours"
            throw error.rephrased("The store \(store.displayName) is encrypted, and reading it needs your age identity, but there is no identity file at \(identity.identityFile); \(fix).")
        }
        return try StoreKeyring.open(store, identities: identities)
    }
}
