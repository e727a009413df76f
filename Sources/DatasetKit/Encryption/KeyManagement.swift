import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// `dpm key add`, `remove` and `list`: who can read a project's store, kept in two places that
/// must agree — `encryption.recipients` in dpm.yaml (what the team commits) and the key files in
/// the store (what actually opens it). Every check is made before anything is written; the store
/// is changed before dpm.yaml, so a failure in between leaves a state the same command repairs.
public struct KeyManagement {
    public let project: Project
    public let store: ObjectStore
    public let settings: EncryptionSettings
    public var now: () -> Date = Date.init

    public init(project: Project, store: ObjectStore, settings: EncryptionSettings) {
        self.project = project
        self.store = store
        self.settings = settings
    }

    private var configPath: String { project.path(ProjectConfig.fileName) }
    private var edit: RecipientListEdit { RecipientListEdit(displayName: ProjectConfig.fileName) }

    // MARK: add

    public struct Added: Sendable, Equatable {
        public let recipient: AgeRecipient
        /// Whether dpm.yaml already listed it.
        public let wasListed: Bool
        /// The key file written, when the store is encrypted; nil when it is not yet.
        public let keyFile: String?
        public let store: String

        public var message: String {
            let yaml = wasListed ? "\(recipient) was already in dpm.yaml" : "Added \(recipient) to dpm.yaml"
            guard let keyFile else {
                return "\(yaml). The store \(store) is not encrypted yet: its first upload encrypts it for the recipients in dpm.yaml."
                    + (wasListed ? "" : " Commit dpm.yaml.")
            }
            return "\(yaml) and wrote \(keyFile) to the store \(store): \(recipient) can now read every snapshot in it."
                + (wasListed ? "" : " Commit dpm.yaml.")
        }
    }

    /// Lets `recipient` read the store: listed in dpm.yaml (with `comment` after it) and, when
    /// the store is encrypted, given a key file — which takes the caller's identity, to unwrap
    /// the store key.
    public func add(_ recipient: AgeRecipient, comment: String? = nil) throws -> Added {
        let text = try readConfig()
        let listed = try recipients(in: text)
        let wasListed = listed.contains(recipient)
        let edited = wasListed ? nil : try edit.adding(recipient, comment: comment, to: text)
        var keyFile: String?
        switch try StoreEncryptionState.of(store) {
        case .plaintext:
            throw DPMError.conflict("The store \(store.displayName) holds plaintext snapshots, and dpm never encrypts a store in place; point store: in dpm.yaml at a new, empty location, then run \"dpm key add \(recipient)\" again.")
        case .undecided:
            break
        case .encrypted:
            guard try StoreKeyring.latestGeneration(in: store) != nil else { break } // its first upload makes the key
            let ring = try StoreKeyring.open(store, identities: try identities(toChange: "Adding \(recipient)"))
            try ring.grant(recipient, in: store)
            keyFile = StoreKeyLayout.keyFile(recipient)
        }
        if let edited { try writeConfig(edited, replacing: text) }
        return Added(recipient: recipient, wasListed: wasListed, keyFile: keyFile, store: store.displayName)
    }

    // MARK: remove

    public struct Removed: Sendable, Equatable {
        public let recipient: AgeRecipient
        public let wasListed: Bool
        /// The new generation of the store key, when the store is encrypted.
        public let generation: Int?
        public let deletedKeyFiles: [String]
        public let remaining: Int
        /// Whether the caller removed their own key.
        public let removedSelf: Bool
        public let store: String

        public var message: String {
            let yaml = wasListed ? "Removed \(recipient) from dpm.yaml" : "\(recipient) was not in dpm.yaml"
            guard let generation else {
                return "\(yaml). The store \(store) is not encrypted yet: its first upload encrypts it for the recipients in dpm.yaml. Commit dpm.yaml."
            }
            let files = deletedKeyFiles.isEmpty ? "" : ", deleted \(deletedKeyFiles.joined(separator: ", "))"
            var text = "\(yaml)\(files) and rotated the store key to generation \(generation): what is uploaded from now on is readable by the \(remaining) remaining recipient\(remaining == 1 ? "" : "s") only."
            text += " \(recipient) can still read what was stored until now (they may have kept its key), but nothing uploaded from now on."
            if removedSelf { text += " That was your own key: you cannot read new snapshots any more." }
            return text + (wasListed ? " Commit dpm.yaml." : "")
        }
    }

    /// Stops `recipient` reading what is stored from now on: out of dpm.yaml and, when the store
    /// is encrypted, their key file deleted and the store key rotated for everyone else.
    public func remove(_ recipient: AgeRecipient) throws -> Removed {
        let text = try readConfig()
        let listed = try recipients(in: text)
        let wasListed = listed.contains(recipient)
        let remaining = listed.filter { $0 != recipient }
        let state = try StoreEncryptionState.of(store)
        let encrypted = try state == .encrypted && StoreKeyring.latestGeneration(in: store) != nil
        let hasKeyFile = try encrypted && StoreKeyring.keyFileFingerprints(in: store).contains(recipient.fingerprint)
        guard wasListed || hasKeyFile else {
            throw DPMError.notFound("\(recipient) is not a recipient of this project (neither dpm.yaml nor the store \(store.displayName) has it); \"dpm key list\" shows who is.")
        }
        guard !remaining.isEmpty else {
            throw DPMError.invalidInput("\(recipient) is the only recipient in dpm.yaml, and a store needs at least one; add the next one first (\"dpm key add age1…\").")
        }
        let edited = wasListed ? try edit.removing(recipient, from: text) : nil
        var generation: Int?
        var deleted: [String] = []
        var removedSelf = false
        if encrypted {
            let ring = try StoreKeyring.open(store, identities: try identities(toChange: "Removing \(recipient)"))
            let rotation = try ring.rotate(in: store, to: remaining, now: now())
            generation = rotation.ring.current.generation
            deleted = rotation.deletedKeyFiles
            removedSelf = ring.openedBy == recipient
        }
        if let edited { try writeConfig(edited, replacing: text) }
        return Removed(recipient: recipient, wasListed: wasListed, generation: generation, deletedKeyFiles: deleted,
                       remaining: remaining.count, removedSelf: removedSelf, store: store.displayName)
    }

    // MARK: list

    public struct Listing: Encodable, Sendable, Equatable {
        public struct Recipient: Encodable, Sendable, Equatable {
            public let recipient: String
            public let fingerprint: String
            /// The comment after it in dpm.yaml (whose key it is).
            public let comment: String?
            public let keyFile: String
            /// Whether the store has its key file; nil while the store is not encrypted.
            public let hasKeyFile: Bool?
        }

        public struct UnlistedKeyFile: Encodable, Sendable, Equatable {
            public let keyFile: String
            /// Whose it is, when the latest key generation recorded it.
            public let recipient: String?
        }

        public let store: String
        /// undecided, plaintext or encrypted.
        public let storeEncryption: String
        /// The store key's current generation, when there is one.
        public let generation: Int?
        public let recipients: [Recipient]
        /// Key files in the store for keys dpm.yaml does not list: people who can read it anyway.
        public let unlistedKeyFiles: [UnlistedKeyFile]
    }

    public func list() throws -> Listing {
        let text = try readConfig()
        let listed = try recipients(in: text)
        let comments = edit.comments(in: text)
        let state = try StoreEncryptionState.of(store)
        let generation = state == .encrypted ? try StoreKeyring.latestGeneration(in: store) : nil
        let fingerprints = generation == nil ? [] : try StoreKeyring.keyFileFingerprints(in: store)
        let entries = listed.map { recipient in
            Listing.Recipient(recipient: recipient.text, fingerprint: recipient.fingerprint, comment: comments[recipient],
                              keyFile: StoreKeyLayout.keyFile(recipient),
                              hasKeyFile: generation == nil ? nil : fingerprints.contains(recipient.fingerprint))
        }
        let known = Set(listed.map(\.fingerprint))
        let record = try generation.map { try KeyGeneration.read($0, from: store) }
        let unlisted = fingerprints.filter { !known.contains($0) }.map {
            Listing.UnlistedKeyFile(keyFile: StoreKeyLayout.keyFile(fingerprint: $0), recipient: record?.keyFiles[$0]?.recipient)
        }
        return Listing(store: store.displayName, storeEncryption: state.rawValue, generation: generation,
                       recipients: entries, unlistedKeyFiles: unlisted)
    }

    // MARK: -

    /// The caller's identities, for a change that must unwrap the store key.
    private func identities(toChange change: String) throws -> [AgeIdentity] {
        do {
            return try IdentityFile.load(path: settings.identityFile)
        } catch let error as DPMError where error.kind == .notFound {
            let fix = settings.identityFileFromEnvironment
                ? "DPM_IDENTITY_FILE names a file that does not exist; point it at the identity file of someone who can read the store"
                : "set DPM_IDENTITY_FILE to the identity file of someone who can read the store"
            throw error.rephrased("\(change) needs your age identity to open the store key of \(store.displayName), and there is no identity file at \(settings.identityFile); \(fix).")
        }
    }

    private func recipients(in text: String) throws -> [AgeRecipient] {
        let file = try YAMLFile(text: text, path: configPath, displayName: ProjectConfig.fileName)
        return try file.root[EncryptionConfig.key].map { try EncryptionConfig.parse($0, in: file).recipients } ?? []
    }

    private func readConfig() throws -> String {
        do {
            return try String(contentsOfFile: configPath, encoding: .utf8)
        } catch {
            throw DPMError.system("Cannot read \(configPath): \(SystemErrorText.reason(error)).")
        }
    }

    /// Writes dpm.yaml atomically (keeping its mode), only if it is still `original`.
    private func writeConfig(_ text: String, replacing original: String) throws {
        let lock = FolderLock(project.root)
        defer { withExtendedLifetime(lock) {} }
        guard (try? String(contentsOfFile: configPath, encoding: .utf8)) == original else {
            throw DPMError.conflict("\(ProjectConfig.fileName) changed while dpm worked on the store's keys, so dpm left it alone; run the command again to bring it in line.")
        }
        var info = stat()
        let mode = stat(configPath, &info) == 0 ? info.st_mode & 0o7777 : 0o644
        try AtomicFile.write(Data(text.utf8), to: configPath, mode: mode)
    }
}
