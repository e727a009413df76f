import Crypto
import Foundation

/// What makes a transfer an encrypted store's: an object is named by the keyed HMAC-SHA256 of
/// its content (so the same content is still stored once, but nobody without the key can tell
/// whether the store holds a given file), and its compressed bytes are stored sealed
/// (`SealedObject`) under the ring's current key; older generations stay readable. A
/// plaintext store's transfer has no sealing and works byte for byte as it always did.
public struct ObjectSealing: Sendable {
    public let ring: StoreKeyring

    /// What a snapshot record's `objectIDs` says when it names objects this way; a record
    /// without it names them by plain SHA-256.
    public static let idKind = StoreSettings.Encryption.standard.objectIDs

    public init(ring: StoreKeyring) {
        self.ring = ring
    }

    /// The key of object ids (generation 1's: ids never rotate, so dedup survives a rotation).
    var idKey: SymmetricKey { ring.objectIDKey }

    func id(of data: Data) -> String { ring.objectID(of: data) }

    func seal(_ compressed: ByteReader) -> ByteReader { SealedObject.sealing(compressed, with: ring.current) }

    func open(_ stored: ByteReader) throws -> ByteReader {
        let ring = ring
        return try SealedObject.opening(stored, keys: { try? ring.key(generation: $0) }, name: "it")
    }
}
