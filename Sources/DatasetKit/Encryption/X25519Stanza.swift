import Crypto
import Foundation

/// The X25519 recipient stanza of age: the file key sealed under a key agreed between a fresh
/// ephemeral key and the recipient, `-> X25519 <ephemeral share>` and a 32-byte body.
enum X25519Stanza {
    static let type = "X25519"
    private static let info = Data("age-encryption.org/v1/X25519".utf8)
    private static var zeroNonce: ChaChaPoly.Nonce { try! ChaChaPoly.Nonce(data: Data(count: 12)) }

    static func wrap(_ fileKey: SymmetricKey, to recipient: AgeRecipient) throws -> AgeStanza {
        let ephemeral = Curve25519.KeyAgreement.PrivateKey()
        let share = ephemeral.publicKey.rawRepresentation
        let secret = try ephemeral.sharedSecretFromKeyAgreement(with: recipient.publicKey)
        let wrapKey = derive(secret, share: share, recipient: recipient.rawKey)
        let box = try fileKey.withUnsafeBytes { try ChaChaPoly.seal($0, using: wrapKey, nonce: zeroNonce) }
        return AgeStanza(arguments: [type, AgeBase64.encode(share)], body: box.ciphertext + box.tag)
    }

    /// The file key in `stanza` when it is an X25519 stanza for `identity`; nil when it is
    /// addressed to someone else (which, the stanza being anonymous, includes a changed body).
    /// An X25519 stanza that breaks the spec's rules is refused.
    static func unwrap(_ stanza: AgeStanza, with identity: AgeIdentity, malformed: (String) -> DPMError) throws -> SymmetricKey? {
        guard stanza.type == type else { return nil }
        guard stanza.arguments.count == 2, let share = AgeBase64.decode(stanza.arguments[1]), share.count == 32 else {
            throw malformed("an X25519 stanza must have one argument, the base64 of 32 bytes")
        }
        guard stanza.body.count == 32 else { throw malformed("an X25519 stanza's body must be 32 bytes") }
        let sharePoint = try Curve25519.KeyAgreement.PublicKey(rawRepresentation: share)
        // A low-order share gives an all-zero secret, which the spec says to refuse.
        guard let secret = try? identity.privateKey.sharedSecretFromKeyAgreement(with: sharePoint),
              secret.withUnsafeBytes({ bytes in bytes.contains { $0 != 0 } }) else {
            throw malformed("an X25519 stanza's share is a low-order point")
        }
        let wrapKey = derive(secret, share: share, recipient: identity.recipient.rawKey)
        let box = try ChaChaPoly.SealedBox(nonce: zeroNonce, ciphertext: stanza.body.prefix(16), tag: stanza.body.suffix(16))
        guard let fileKey = try? ChaChaPoly.open(box, using: wrapKey) else { return nil }
        return SymmetricKey(data: fileKey)
    }

    private static func derive(_ secret: SharedSecret, share: Data, recipient: Data) -> SymmetricKey {
        secret.hkdfDerivedSymmetricKey(using: SHA256.self, salt: share + recipient, sharedInfo: info, outputByteCount: 32)
    }
}
