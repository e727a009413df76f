import Crypto
import Foundation

/// Whether a store is encrypted, as its objects say.
public enum StoreEncryptionState: String, Sendable, Equatable {
    /// No dpm-store.json and no snapshot: the first upload decides.
    case undecided
    /// dpm-store.json says plaintext, or the store has snapshots from before dpm wrote settings.
    case plaintext
    /// dpm-store.json says encrypted.
    case encrypted

    public static func of(_ store: ObjectStore) throws -> StoreEncryptionState {
        if let settings = try StoreSettings.read(from: store) { return settings.encrypted ? .encrypted : .plaintext }
        return try store.list(prefix: "snapshots/").isEmpty ? .undecided : .plaintext
    }
}

/// The keys of an encrypted store, opened with someone's identity: the current generation of
/// the store key (what new objects are encrypted with) and every older one (what older objects
/// were encrypted with). See ARCHITECTURE.md, "Keys of an encrypted store".
public struct StoreKeyring: Sendable {
    /// The newest generation: encrypt new objects with it.
    public let current: StoreKey
    /// Every generation from 1 to `current.generation`.
    private let keys: [Int: StoreKey]
    /// The recipient whose key opened the ring (nil for a ring just created).
    public let openedBy: AgeRecipient?

    /// The key objects encrypted under generation `generation` need.
    public func key(generation: Int) throws -> StoreKey {
        guard let key = keys[generation] else {
            throw DPMError.corrupt("The store has no key of generation \(generation) (its keys go from 1 to \(current.generation)); the object that names it was not written by dpm for this store.")
        }
        return key
    }

    /// The HMAC-SHA256 key of object ids. It comes from generation 1 and never rotates, so that
    /// content stored before a rotation is still found (dedup) after it; what that costs is in
    /// ARCHITECTURE.md.
    public var objectIDKey: SymmetricKey { keys[1]!.subkey(.objectID) }

    /// The AEAD key new objects are encrypted under (current generation).
    public var objectEncryptionKey: SymmetricKey { current.subkey(.objectEncryption) }

    /// The keyed id of `data`, as `objectIDKey` names it.
    public func objectID(of data: Data) -> String { KeyedHashingWriter.id(of: data, key: objectIDKey) }

    // MARK: Opening

    /// Opens the ring of `store` with whichever of `identities` has a key file there. Fails with
    /// one sentence when the store is not encrypted, when no identity is a recipient, or when a
    /// key file or generation record was tampered with.
    public static func open(_ store: ObjectStore, identities: [AgeIdentity]) throws -> StoreKeyring {
        guard let settings = try StoreSettings.read(from: store), settings.encrypted else {
            throw DPMError.invalidInput("The store \(store.displayName) is not encrypted, so it has no keys to open.")
        }
        let generations = try recordedGenerations(in: store)
        guard let latest = generations.last else {
            throw DPMError.notFound("The store \(store.displayName) is to be encrypted but has no store key yet (its first upload stopped early); the next upload makes one.")
        }
        let record = try KeyGeneration.read(latest, from: store)
        var failure: DPMError?
        for identity in identities {
            do {
                if let key = try currentKey(for: identity, record: record, store: store, generations: generations) {
                    return try StoreKeyring(walkingBackFrom: key, latest: record, store: store, openedBy: identity.recipient)
                }
            } catch let error as DPMError {
                failure = failure ?? error
            }
        }
        if let failure { throw failure }
        let whom = identities.map(\.recipient.text).joined(separator: ", ")
        throw DPMError.permissionDenied("Your identity (\(whom)) cannot open the store \(store.displayName): it has no key file there; ask someone who can read the store to run \"dpm key add \(identities.first?.recipient.text ?? "age1…")\".")
    }

    /// The current key through `identity`'s key file (or, when a rotation stopped before
    /// rewriting that file, through the copy the generation record keeps); nil when the store
    /// has neither for it.
    private static func currentKey(for identity: AgeIdentity, record: KeyGeneration, store: ObjectStore, generations: [Int]) throws -> StoreKey? {
        let recipient = identity.recipient
        let name = StoreKeyLayout.keyFile(recipient)
        let repair = "ask someone who can read the store to run \"dpm key add \(recipient)\" to write it again"
        var staleGeneration: Int?
        if try store.storedSize(name) != nil {
            let key = try unwrap(try store.open(name).readAll(limit: 1 << 20), identity: identity, name: name,
                                 generation: record.generation, repair: repair)
            if key.id == record.keyID { return key }
            // An older generation's key is a rotation that did not rewrite this file; any other
            // key was put there by someone else.
            staleGeneration = try generations.dropLast().first { try KeyGeneration.read($0, from: store).keyID == key.id }
            guard staleGeneration != nil else {
                throw DPMError.corrupt("\(name) holds a key that is none of the store's: it was replaced or tampered with; \(repair).")
            }
        }
        if let copy = record.keyFiles[recipient.fingerprint] {
            let recordName = StoreKeyLayout.generationRecord(record.generation)
            let key = try unwrap(Data(base64Encoded: copy.ageFile) ?? Data(), identity: identity,
                                 name: "the key file for \(recipient) in \(recordName)", generation: record.generation, repair: repair)
            guard key.id == record.keyID else {
                throw DPMError.corrupt("The key file for \(recipient) in \(recordName) does not hold that generation's key: it was tampered with; \(repair).")
            }
            return key
        }
        if let staleGeneration {
            throw DPMError.conflict("\(name) holds the store key of generation \(staleGeneration), but the store's key is at generation \(record.generation) (it was rotated without this key file being rewritten); \(repair).")
        }
        return nil
    }

    private static func unwrap(_ file: Data, identity: AgeIdentity, name: String, generation: Int, repair: String) throws -> StoreKey {
        let plaintext: Data
        do {
            plaintext = try AgeFile.decrypt(file, with: [identity], name: name, limit: 4096)
        } catch let error as DPMError where error.kind == .permissionDenied {
            throw DPMError.corrupt("\(name) is named for \(identity.recipient) but does not open with that identity: it was tampered with or replaced; \(repair).")
        } catch let error as DPMError {
            throw error.rephrased("The key file \(name) was tampered with or damaged, so it does not open (\(error.message.dropLast())); \(repair).")
        }
        guard let key = StoreKey.fromKeyFileText(plaintext, generation: generation) else {
            throw DPMError.corrupt("\(name) does not hold a store key: it was replaced; \(repair).")
        }
        return key
    }

    /// The ring of every generation from `key` (the latest) back to 1, each older key unsealed
    /// from the record of the one after it and checked against its own record's id.
    private init(walkingBackFrom key: StoreKey, latest: KeyGeneration, store: ObjectStore, openedBy: AgeRecipient?) throws {
        var keys = [key.generation: key]
        var record = latest
        var newer = key
        while record.generation > 1 {
            let name = "\(StoreKeyLayout.generationRecord(record.generation)) in \(store.displayName)"
            guard let older = try record.unsealPrevious(with: newer, name: name) else {
                throw DPMError.corrupt("\(name) seals no older key: it was tampered with.")
            }
            record = try KeyGeneration.read(older.generation, from: store)
            guard record.keyID == older.id else {
                throw DPMError.corrupt("\(StoreKeyLayout.generationRecord(record.generation)) in \(store.displayName) names another key than the one generation \(newer.generation) seals: it was tampered with.")
            }
            keys[older.generation] = older
            newer = older
        }
        self.init(current: key, keys: keys, openedBy: openedBy)
    }

    private init(current: StoreKey, keys: [Int: StoreKey], openedBy: AgeRecipient?) {
        self.current = current
        self.keys = keys
        self.openedBy = openedBy
    }

    /// The generations the store has records of, in order; a gap is tampering.
    static func recordedGenerations(in store: ObjectStore) throws -> [Int] {
        let generations = try store.list(prefix: StoreKeyLayout.generationsPrefix).compactMap(StoreKeyLayout.generation(ofRecord:)).sorted()
        if let latest = generations.last, generations != Array(1...latest) {
            let missing = Set(1...latest).subtracting(generations).sorted().map { StoreKeyLayout.generationRecord($0) }
            throw DPMError.corrupt("The store \(store.displayName) is missing \(missing.joined(separator: ", ")): its key records were tampered with.")
        }
        return generations
    }

    // MARK: Changing

    /// Makes `store` an encrypted store readable by `recipients`: dpm-store.json (create-only),
    /// generation 1 of the store key, and a key file for each recipient. For the first upload of
    /// a store whose `dpm.yaml` has `encryption:`; a store that is plaintext or already has a key
    /// is refused.
    public static func create(_ store: ObjectStore, recipients: [AgeRecipient], now: Date = Date()) throws -> StoreKeyring {
        let start = try starting(store, recipients: recipients, now: now)
        try start.publish(to: store)
        return start.ring
    }

    /// A store's first key, made in memory and not written yet: an upload hashes and seals
    /// with it from the start, and writes it (`publish`) only just before its first object, so
    /// that an upload refused before then leaves the store as it was.
    public struct Start: Sendable {
        public let ring: StoreKeyring
        fileprivate let record: KeyGeneration
        fileprivate let created: Date

        /// Writes what `create` writes, in its order; a store that became plaintext, or got a
        /// key from another dpm, since `starting` is refused and gets nothing of this one.
        public func publish(to store: ObjectStore) throws {
            switch try StoreEncryptionState.of(store) {
            case .plaintext:
                throw DPMError.conflict("The store \(store.displayName) was just made a plaintext store by another dpm; point store: at a new, empty location to start an encrypted one.")
            case .undecided:
                do {
                    try StoreSettings.encrypted(created: created).create(in: store)
                } catch let error as DPMError where error.kind == .conflict {
                    // Another dpm wrote settings first; only an encrypted store may go on.
                    guard try StoreSettings.read(from: store)?.encrypted == true else {
                        throw DPMError.conflict("The store \(store.displayName) was just made a plaintext store by another dpm; point store: at a new, empty location to start an encrypted one.")
                    }
                }
            case .encrypted:
                break // settings written, key not yet (an interrupted start): go on
            }
            guard try recordedGenerations(in: store).isEmpty else {
                throw DPMError.conflict("Another dpm made the key of the store \(store.displayName) meanwhile; run the command again.")
            }
            do {
                try record.create(in: store)
            } catch let error as DPMError where error.kind == .conflict {
                throw DPMError.conflict("Another dpm made the key of the store \(store.displayName) at the same moment; run the command again.")
            }
            try writeKeyFiles(of: record, to: store)
        }
    }

    /// The first key of `store` for `recipients`, in memory (see `Start`), after every check
    /// `create` makes: at least one recipient, a store that is not plaintext and has no key yet.
    public static func starting(_ store: ObjectStore, recipients: [AgeRecipient], now: Date = Date()) throws -> Start {
        guard !recipients.isEmpty else { throw DPMError.invalidInput("An encrypted store needs at least one recipient (encryption.recipients in dpm.yaml).") }
        if try StoreEncryptionState.of(store) == .plaintext {
            throw DPMError.conflict("The store \(store.displayName) holds plaintext snapshots, and dpm never encrypts a store in place; point store: in dpm.yaml (or DPM_STORE) at a new, empty location to start an encrypted one.")
        }
        guard try recordedGenerations(in: store).isEmpty else {
            throw DPMError.conflict("The store \(store.displayName) is already encrypted; it is opened with a recipient's identity, not made again.")
        }
        let key = StoreKey.generate(generation: 1)
        let record = try KeyGeneration.make(key: key, previous: nil, recipients: recipients, created: now)
        return Start(ring: StoreKeyring(current: key, keys: [1: key], openedBy: nil), record: record, created: now)
    }

    /// Writes `keys/<fingerprint>.age` for `recipient`: the current key, so that they can read
    /// every object (older keys are sealed under it). Adding a person adds one file.
    public func grant(_ recipient: AgeRecipient, in store: ObjectStore) throws {
        let file = try AgeFile.encrypt(current.keyFileText, to: [recipient])
        try store.put(StoreKeyLayout.keyFile(recipient), from: DataReader(file), expectedSHA256: nil, overwrite: true)
    }

    /// What a rotation did.
    public struct Rotation: Sendable {
        public let ring: StoreKeyring
        /// Key files deleted: those of everyone not in the new recipients.
        public let deletedKeyFiles: [String]
    }

    /// Makes a new generation of the store key, readable by exactly `recipients` (wrapped for
    /// each, the old key sealed under it), and deletes every other key file. New objects are
    /// then encrypted for them only; what anyone could read before stays readable to them.
    /// The generation record is written first (create-only): it is the rotation's commit point,
    /// and a rotation interrupted after it is finished by the copies of the key files it keeps.
    public func rotate(in store: ObjectStore, to recipients: [AgeRecipient], now: Date = Date()) throws -> Rotation {
        guard !recipients.isEmpty else { throw DPMError.invalidInput("An encrypted store needs at least one recipient.") }
        guard try Self.recordedGenerations(in: store).last == current.generation else {
            throw DPMError.conflict("The key of the store \(store.displayName) was rotated by another dpm while this one ran; run the command again.")
        }
        let key = StoreKey.generate(generation: current.generation + 1)
        let record = try KeyGeneration.make(key: key, previous: current, recipients: recipients, created: now)
        do {
            try record.create(in: store)
        } catch let error as DPMError where error.kind == .conflict {
            throw DPMError.conflict("Another dpm rotated the key of the store \(store.displayName) at the same moment; nothing was changed by this one; run the command again.")
        }
        try Self.writeKeyFiles(of: record, to: store)
        let kept = Set(recipients.map(\.fingerprint))
        var deleted: [String] = []
        for fingerprint in try Self.keyFileFingerprints(in: store) where !kept.contains(fingerprint) {
            try store.delete(StoreKeyLayout.keyFile(fingerprint: fingerprint))
            deleted.append(StoreKeyLayout.keyFile(fingerprint: fingerprint))
        }
        var keys = self.keys
        keys[key.generation] = key
        return Rotation(ring: StoreKeyring(current: key, keys: keys, openedBy: openedBy), deletedKeyFiles: deleted)
    }

    /// The fingerprints of the key files in `store`, sorted.
    public static func keyFileFingerprints(in store: ObjectStore) throws -> [String] {
        try store.list(prefix: StoreKeyLayout.keysPrefix).compactMap(StoreKeyLayout.fingerprint(ofKeyFile:))
    }

    /// The newest generation of the store key, or nil when there is none yet.
    public static func latestGeneration(in store: ObjectStore) throws -> Int? {
        try recordedGenerations(in: store).last
    }

    fileprivate static func writeKeyFiles(of record: KeyGeneration, to store: ObjectStore) throws {
        for (fingerprint, wrapped) in record.keyFiles.sorted(by: { $0.key < $1.key }) {
            guard let file = Data(base64Encoded: wrapped.ageFile) else { throw DPMError.internal("A key file dpm just made is not base64.") }
            try store.put(StoreKeyLayout.keyFile(fingerprint: fingerprint), from: DataReader(file), expectedSHA256: nil, overwrite: true)
        }
    }
}
