import Crypto
import Foundation

/// age files (age-encryption.org/v1) with X25519 recipients, as the `age` tool reads and
/// writes them: a random 16-byte file key wrapped for each recipient in the header, the
/// header authenticated with a key derived from the file key, and the payload in the STREAM
/// construction under a key derived from the file key and a random nonce.
public enum AgeFile {
    static let fileKeySize = 16
    static let nonceSize = 16

    /// A reader that yields an age file encrypting `source` to every one of `recipients`.
    public static func encrypting(_ source: ByteReader, to recipients: [AgeRecipient]) throws -> ByteReader {
        let (prefix, payloadKey) = try start(to: recipients)
        return ConcatenatedReader(first: prefix, then: StreamSealingReader(source, key: payloadKey))
    }

    /// A writer that encrypts what is written into it to `recipients` and writes the age file to
    /// `downstream`; `finish` writes the last chunk and finishes `downstream`.
    public static func encryptingWriter(to recipients: [AgeRecipient], downstream: ByteWriter) throws -> ByteWriter {
        let (prefix, payloadKey) = try start(to: recipients)
        try prefix.withUnsafeBytes { try downstream.write($0) }
        return StreamSealingWriter(downstream, key: payloadKey)
    }

    public static func encrypt(_ plaintext: Data, to recipients: [AgeRecipient]) throws -> Data {
        try encrypting(DataReader(plaintext), to: recipients).readAll()
    }

    /// A reader of the plaintext of the age file in `source` (binary or armored), decrypted with
    /// whichever of `identities` it is encrypted to. The header is read and checked now; each
    /// payload chunk is checked before its bytes are handed on. `name` says what is read.
    public static func decrypting(_ source: ByteReader, with identities: [AgeIdentity], name: String) throws -> ByteReader {
        var lines = LineReader(source)
        if try AgeArmorReader.isArmored(lines) {
            lines = LineReader(AgeArmorReader(lines, name: name))
        }
        let header = try AgeHeader.read(from: lines, name: name)
        let fileKey = try unwrapFileKey(header, identities: identities, name: name)
        guard header.macMatches(fileKey: fileKey) else {
            throw DPMError.corrupt("\(name) fails its age header's MAC check: its header was changed or damaged.")
        }
        let nonce = try lines.next(nonceSize)
        guard nonce.count == nonceSize else { throw DPMError.corrupt("\(name) is truncated: it ends before its payload's nonce.") }
        return StreamOpeningReader(lines, key: payloadKey(fileKey: fileKey, nonce: Data(nonce)), name: name)
    }

    /// The plaintext of a small age file, at most `limit` bytes.
    public static func decrypt(_ file: Data, with identities: [AgeIdentity], name: String, limit: Int = 16 << 20) throws -> Data {
        try decrypting(DataReader(file), with: identities, name: name).readAll(limit: limit)
    }

    /// The header and nonce of a new file, and the key its payload is sealed with.
    private static func start(to recipients: [AgeRecipient]) throws -> (prefix: Data, payloadKey: SymmetricKey) {
        guard !recipients.isEmpty else { throw DPMError.internal("An age file needs at least one recipient.") }
        let fileKey = SymmetricKey(size: .init(bitCount: fileKeySize * 8))
        let stanzas = try recipients.map { try X25519Stanza.wrap(fileKey, to: $0) }
        var prefix = AgeHeader.unauthenticatedBytes(stanzas)
        let mac = AgeHeader.computeMAC(prefix, fileKey: fileKey)
        prefix.append(Data((" " + AgeBase64.encode(mac) + "\n").utf8))
        let nonce = randomBytes(nonceSize)
        prefix.append(nonce)
        return (prefix, payloadKey(fileKey: fileKey, nonce: nonce))
    }

    private static func unwrapFileKey(_ header: AgeHeader, identities: [AgeIdentity], name: String) throws -> SymmetricKey {
        func malformed(_ problem: String) -> DPMError {
            DPMError.corrupt("\(name) has a malformed age header (\(problem)); it was changed or damaged.")
        }
        if header.stanzas.contains(where: { $0.type == "scrypt" }) {
            guard header.stanzas.count == 1 else { throw malformed("an scrypt stanza must be the only one") }
            throw DPMError.invalidInput("\(name) is encrypted with a passphrase (age -p), which dpm does not use; it needs a file encrypted to an age1 key.")
        }
        for identity in identities {
            for stanza in header.stanzas {
                if let fileKey = try X25519Stanza.unwrap(stanza, with: identity, malformed: malformed) {
                    guard fileKey.bitCount == fileKeySize * 8 else { throw malformed("a file key must be 16 bytes") }
                    return fileKey
                }
            }
        }
        let whom = identities.map(\.recipient.text).joined(separator: " or ")
        let count = header.stanzas.count
        throw DPMError.permissionDenied("\(name) is not encrypted to \(whom.isEmpty ? "any identity given" : whom) (it has \(count) recipient stanza\(count == 1 ? "" : "s"), none of them for that key).")
    }

    private static func payloadKey(fileKey: SymmetricKey, nonce: Data) -> SymmetricKey {
        HKDF<SHA256>.deriveKey(inputKeyMaterial: fileKey, salt: nonce, info: Data("payload".utf8), outputByteCount: 32)
    }
}

/// `count` bytes from the system's cryptographic random source.
func randomBytes(_ count: Int) -> Data {
    SymmetricKey(size: .init(bitCount: count * 8)).withUnsafeBytes { Data($0) }
}

/// Yields `first`, then whatever `then` yields.
final class ConcatenatedReader: ByteReader {
    private let first: Data
    private var offset = 0
    private let then: ByteReader

    init(first: Data, then: ByteReader) {
        self.first = first
        self.then = then
    }

    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        if offset < first.count {
            let count = min(buffer.count, first.count - offset)
            first.withUnsafeBytes { bytes in
                buffer.baseAddress!.copyMemory(from: bytes.baseAddress! + offset, byteCount: count)
            }
            offset += count
            return count
        }
        return try then.read(into: buffer)
    }
}
