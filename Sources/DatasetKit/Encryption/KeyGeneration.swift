import Crypto
import Foundation

/// `keys/generations/<n>.json`, written once (create-only) when generation n of the store key
/// is made: at the store's start (1) and at each rotation. It names the key by its id, seals
/// the previous generation's key under this one (so whoever holds the current key can walk
/// back to every older one), and keeps the key files written for it at that moment, so that a
/// rotation interrupted before every `keys/<fingerprint>.age` was rewritten loses no key.
struct KeyGeneration: Codable, Equatable {
    var generation: Int
    var keyID: String
    var created: String
    var previous: Previous?
    /// Fingerprint → the age file of this generation's key for that recipient, as written to
    /// `keys/<fingerprint>.age` when the generation was made.
    var keyFiles: [String: WrappedKey]

    struct Previous: Codable, Equatable {
        var generation: Int
        var keyID: String
        /// ChaCha20-Poly1305 under this generation's key-chain sub-key: nonce ‖ ciphertext ‖ tag, base64.
        var sealed: String
    }

    struct WrappedKey: Codable, Equatable {
        var recipient: String
        /// The age file, base64.
        var ageFile: String
    }

    /// A record for `key`, sealing `previous` and wrapping `key` for `recipients`.
    static func make(key: StoreKey, previous: StoreKey?, recipients: [AgeRecipient], created: Date) throws -> KeyGeneration {
        var keyFiles: [String: WrappedKey] = [:]
        for recipient in recipients {
            let file = try AgeFile.encrypt(key.keyFileText, to: [recipient])
            keyFiles[recipient.fingerprint] = WrappedKey(recipient: recipient.text, ageFile: file.base64EncodedString())
        }
        let sealed = try previous.map { previous in
            Previous(generation: previous.generation, keyID: previous.id,
                     sealed: try ChaChaPoly.seal(previous.bytes, using: key.subkey(.keyChain),
                                                 authenticating: chainContext(previous: previous.generation, next: key.generation))
                         .combined.base64EncodedString())
        }
        return KeyGeneration(generation: key.generation, keyID: key.id, created: Timestamp.iso8601(created), previous: sealed, keyFiles: keyFiles)
    }

    /// The previous generation's key, unsealed with `key` (this generation's) and checked
    /// against the id recorded for it.
    func unsealPrevious(with key: StoreKey, name: String) throws -> StoreKey? {
        guard let previous else { return nil }
        let tampered = DPMError.corrupt("\(name) does not open with the store key of generation \(generation): it was tampered with or damaged, so the keys of older generations cannot be read.")
        guard previous.generation == generation - 1, let combined = Data(base64Encoded: previous.sealed),
              let box = try? ChaChaPoly.SealedBox(combined: combined),
              let bytes = try? ChaChaPoly.open(box, using: key.subkey(.keyChain),
                                               authenticating: Self.chainContext(previous: previous.generation, next: generation)),
              bytes.count == StoreKey.size else { throw tampered }
        let unsealed = StoreKey(generation: previous.generation, bytes: bytes)
        guard unsealed.id == previous.keyID else { throw tampered }
        return unsealed
    }

    /// What the seal of an older key is bound to: the two generations it links.
    private static func chainContext(previous: Int, next: Int) -> Data {
        Data("dpm.store-key.v1.chain \(previous) \(next)".utf8)
    }

    static func read(_ generation: Int, from store: ObjectStore) throws -> KeyGeneration {
        let key = StoreKeyLayout.generationRecord(generation)
        let data = try store.open(key).readAll(limit: 16 << 20)
        let record = try CanonicalJSON.decode(KeyGeneration.self, from: data, what: "\(key) in \(store.displayName)")
        guard record.generation == generation, (generation == 1) == (record.previous == nil) else {
            throw DPMError.corrupt("\(key) in \(store.displayName) does not describe generation \(generation) of the store key: it was tampered with.")
        }
        return record
    }

    /// Writes the record, create-only: a generation is made once.
    func create(in store: ObjectStore) throws {
        try store.put(StoreKeyLayout.generationRecord(generation), from: DataReader(try CanonicalJSON.encode(self)),
                      expectedSHA256: nil, overwrite: false)
    }
}
