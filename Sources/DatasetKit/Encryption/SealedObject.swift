import Crypto
import Foundation

/// The stored bytes of an object in an encrypted store: its compressed bytes sealed the way age
/// seals a file's payload, under a key of its own.
///
/// ```
/// "DPMOBJ"      6 bytes   magic
/// version       1 byte    1
/// generation    4 bytes   big-endian: the store key generation the object is sealed under
/// nonce        16 bytes   random
/// payload                 age's STREAM: 64 KiB chunks, ChaCha20-Poly1305, a last-chunk flag
/// ```
///
/// The payload key is HKDF-SHA256 of that generation's `object-encryption` sub-key, with the
/// nonce as salt and `dpm.object.v1.payload` as info: a fresh key per object, as age derives
/// one per file, so no (key, chunk nonce) pair is ever used twice. The header itself is not
/// sealed, but every byte of it decides the key: a changed generation or nonce opens nothing.
public enum SealedObject {
    static let magic = Data("DPMOBJ".utf8)
    static let version: UInt8 = 1
    static let nonceSize = 16
    public static let headerSize = magic.count + 1 + 4 + nonceSize

    /// A reader of the sealed form of `source` under `key` (normally the ring's current key).
    public static func sealing(_ source: ByteReader, with key: StoreKey) -> ByteReader {
        let nonce = randomBytes(nonceSize)
        var header = magic
        header.append(version)
        let generation = UInt32(key.generation)
        header.append(contentsOf: (0..<4).map { UInt8(truncatingIfNeeded: generation >> (8 * (3 - $0))) })
        header.append(nonce)
        return ConcatenatedReader(first: header, then: StreamSealingReader(source, key: payloadKey(key, nonce: nonce)))
    }

    /// A reader of the plaintext sealed in `source`: the header is read and checked now, each
    /// chunk is authenticated before its bytes are handed on. `keys` gives the key of a
    /// generation (nil when the store has none of it); `name` begins the sentences of failures
    /// ("it" reads well after "Object … is corrupt:").
    public static func opening(_ source: ByteReader, keys: (Int) -> StoreKey?, name: String) throws -> ByteReader {
        var header = Data(count: headerSize)
        var count = 0
        while count < headerSize {
            let read = try header.withUnsafeMutableBytes { try source.read(into: UnsafeMutableRawBufferPointer(rebasing: $0[count...])) }
            if read == 0 { break }
            count += read
        }
        guard count == headerSize else {
            throw DPMError.corrupt("\(name) is truncated: it ends within the \(headerSize)-byte header of an encrypted object.")
        }
        guard header.prefix(magic.count) == magic else {
            throw DPMError.corrupt("\(name) does not start like an encrypted object of dpm: it was replaced or damaged.")
        }
        let objectVersion = header[magic.count]
        guard objectVersion == version else {
            throw DPMError.corrupt("\(name) has object format \(objectVersion) in its header, where dpm writes \(version): it was changed, or written by a newer dpm.")
        }
        let generation = header[(magic.count + 1)..<(magic.count + 5)].reduce(0) { $0 << 8 | Int($1) }
        guard let key = keys(generation) else {
            throw DPMError.corrupt("\(name) names key generation \(generation) in its header, which the store has no key of: it was changed or not written for this store.")
        }
        let nonce = header.suffix(nonceSize)
        return StreamOpeningReader(source, key: payloadKey(key, nonce: Data(nonce)), name: name)
    }

    /// The key generation an object's header names, or nil when `header` is not one.
    public static func generation(ofHeader header: Data) -> Int? {
        guard header.count >= headerSize, header.prefix(magic.count) == magic else { return nil }
        let start = header.startIndex + magic.count + 1
        return header[start..<(start + 4)].reduce(0) { $0 << 8 | Int($1) }
    }

    private static func payloadKey(_ key: StoreKey, nonce: Data) -> SymmetricKey {
        HKDF<SHA256>.deriveKey(inputKeyMaterial: key.subkey(.objectEncryption), salt: nonce,
                               info: Data("dpm.object.v1.payload".utf8), outputByteCount: 32)
    }
}
