import Foundation

/// `dpm-store.json`: what a store is, written once (create-only) when its first snapshot is
/// made and never changed, so that a store is encrypted or not for its whole life.
public struct StoreSettings: Codable, Sendable, Equatable {
    /// The store layout's format.
    public var format: Int
    public var encrypted: Bool
    /// How an encrypted store encrypts; nil for a plaintext store.
    public var encryption: Encryption?
    public var created: String

    public static let currentFormat = 1

    public struct Encryption: Codable, Sendable, Equatable {
        /// The AEAD of objects: ChaCha20-Poly1305 in age's STREAM construction, 64 KiB chunks.
        public var cipher: String
        /// How objects are named: HMAC-SHA256 of the plaintext under the object-id key.
        public var objectIDs: String
        /// How the store key reaches a person: an age file to their X25519 key,
        /// `keys/<fingerprint>.age`.
        public var keyWrapping: String
        /// Where the key generations are recorded: `keys/generations/<n>.json`, each sealing
        /// the key before it (see ARCHITECTURE.md).
        public var keyGenerations: String

        public static let standard = Encryption(cipher: "chacha20-poly1305-stream-64k", objectIDs: "hmac-sha256",
                                                keyWrapping: "age-x25519", keyGenerations: StoreKeyLayout.generationsPrefix)
    }

    public static func plaintext(created: Date) -> StoreSettings {
        StoreSettings(format: currentFormat, encrypted: false, encryption: nil, created: Timestamp.iso8601(created))
    }

    public static func encrypted(created: Date) -> StoreSettings {
        StoreSettings(format: currentFormat, encrypted: true, encryption: .standard, created: Timestamp.iso8601(created))
    }

    /// The store's settings, or nil when it has none (a new store, or one made before dpm wrote them).
    public static func read(from store: ObjectStore) throws -> StoreSettings? {
        guard try store.storedSize(StoreKeyLayout.settingsKey) != nil else { return nil }
        let data = try store.open(StoreKeyLayout.settingsKey).readAll(limit: 1 << 20)
        let settings = try CanonicalJSON.decode(StoreSettings.self, from: data, what: "\(StoreKeyLayout.settingsKey) in \(store.displayName)")
        guard settings.format >= 1 else {
            throw DPMError.corrupt("\(StoreKeyLayout.settingsKey) in \(store.displayName) names format \(settings.format), which no dpm writes.")
        }
        guard settings.format <= currentFormat else {
            throw DPMError.invalidInput("The store \(store.displayName) has format \(settings.format), newer than this dpm reads (\(currentFormat)); update dpm.")
        }
        if settings.encrypted {
            guard let encryption = settings.encryption else {
                throw DPMError.corrupt("\(StoreKeyLayout.settingsKey) in \(store.displayName) says the store is encrypted but not how.")
            }
            guard encryption == .standard else {
                throw DPMError.invalidInput("The store \(store.displayName) is encrypted with \(encryption.cipher), \(encryption.objectIDs) ids and \(encryption.keyWrapping) keys, which this dpm does not read; update dpm.")
            }
        }
        return settings
    }

    /// Writes `self` as the store's settings, create-only: a store that has settings keeps them
    /// (`DPMError.objectExists`, a `.conflict`).
    public func create(in store: ObjectStore) throws {
        try store.put(StoreKeyLayout.settingsKey, from: DataReader(try CanonicalJSON.encode(self)), expectedSHA256: nil, overwrite: false)
    }
}

/// The keys of an encrypted store's key objects.
public enum StoreKeyLayout {
    public static let settingsKey = "dpm-store.json"
    public static let keysPrefix = "keys/"
    public static let generationsPrefix = "keys/generations/"

    /// `keys/<fingerprint>.age`: the current store key, wrapped for one recipient.
    public static func keyFile(_ recipient: AgeRecipient) -> String { keyFile(fingerprint: recipient.fingerprint) }

    public static func keyFile(fingerprint: String) -> String { "\(keysPrefix)\(fingerprint).age" }

    public static func generationRecord(_ generation: Int) -> String { "\(generationsPrefix)\(generation).json" }

    /// The fingerprint in a key file's name, or nil for any other key.
    static func fingerprint(ofKeyFile key: String) -> String? {
        guard key.hasPrefix(keysPrefix), key.hasSuffix(".age") else { return nil }
        let name = key.dropFirst(keysPrefix.count).dropLast(4)
        guard name.count == 32, name.allSatisfy({ $0.isHexDigit && !$0.isUppercase }) else { return nil }
        return String(name)
    }

    /// The generation a record's name carries, or nil for any other key.
    static func generation(ofRecord key: String) -> Int? {
        guard key.hasPrefix(generationsPrefix), key.hasSuffix(".json") else { return nil }
        let number = key.dropFirst(generationsPrefix.count).dropLast(5)
        guard let first = number.first, first != "0", number.allSatisfy(\.isASCII), let value = Int(number), value > 0 else { return nil }
        return value
    }
}
