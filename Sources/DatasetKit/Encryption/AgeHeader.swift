import Crypto
import Foundation

/// One recipient stanza of an age header: `-> type args…`, then its body in base64 lines of
/// 64 characters ended by a shorter (maybe empty) one.
struct AgeStanza: Equatable {
    /// The type (`X25519`) first, then its arguments.
    var arguments: [String]
    var body: Data

    var type: String { arguments.first ?? "" }

    func encoded() -> Data {
        var text = "-> " + arguments.joined(separator: " ") + "\n"
        let base64 = AgeBase64.encode(body)
        var index = base64.startIndex
        while true {
            let end = base64.index(index, offsetBy: 64, limitedBy: base64.endIndex) ?? base64.endIndex
            text += base64[index..<end] + "\n"
            if base64.distance(from: index, to: end) < 64 { break }
            index = end
        }
        return Data(text.utf8)
    }
}

/// The text header of an age file (age-encryption.org/v1): the version line, the stanzas,
/// and the MAC line, which authenticates everything before it with the file key.
struct AgeHeader {
    static let versionLine = "age-encryption.org/v1"

    var stanzas: [AgeStanza]
    var mac: Data
    /// The bytes the MAC covers: the header up to and including `---`.
    var authenticated: Data

    /// The header's bytes up to and including `---`, for the sender to compute the MAC over.
    static func unauthenticatedBytes(_ stanzas: [AgeStanza]) -> Data {
        var bytes = Data((versionLine + "\n").utf8)
        for stanza in stanzas { bytes.append(stanza.encoded()) }
        bytes.append(Data("---".utf8))
        return bytes
    }

    static func macKey(fileKey: SymmetricKey) -> SymmetricKey {
        HKDF<SHA256>.deriveKey(inputKeyMaterial: fileKey, salt: Data(), info: Data("header".utf8), outputByteCount: 32)
    }

    static func computeMAC(_ authenticated: Data, fileKey: SymmetricKey) -> Data {
        Data(HMAC<SHA256>.authenticationCode(for: authenticated, using: macKey(fileKey: fileKey)))
    }

    func macMatches(fileKey: SymmetricKey) -> Bool {
        HMAC<SHA256>.isValidAuthenticationCode(mac, authenticating: authenticated, using: Self.macKey(fileKey: fileKey))
    }

    /// Longer lines are no header age writes; the bound keeps memory small for any input.
    static let lineLimit = 16 << 10
    static let stanzaLimit = 1024

    /// Reads the header strictly (one byte form only, as the spec asks), leaving `reader` at
    /// the payload. Each way it can be wrong is a sentence about `name`.
    static func read(from reader: LineReader, name: String) throws -> AgeHeader {
        var authenticated = Data()
        var lineNumber = 0
        func malformed(_ problem: String) -> DPMError {
            DPMError.corrupt("\(name) has a malformed age header (line \(lineNumber): \(problem)); it was changed or damaged.")
        }
        let truncated = DPMError.corrupt("\(name) is truncated: it ends inside its age header.")
        func nextLine() throws -> [UInt8] {
            lineNumber += 1
            switch try reader.nextLine(limit: lineLimit) {
            case .complete(let line):
                authenticated.append(contentsOf: line)
                authenticated.append(0x0A)
                return line
            case .unterminated, .endOfStream:
                throw truncated
            case nil:
                throw malformed("longer than \(lineLimit) bytes")
            }
        }

        lineNumber = 1
        switch try reader.nextLine(limit: lineLimit) {
        case .complete(let line) where line == Array(versionLine.utf8):
            authenticated.append(contentsOf: line)
            authenticated.append(0x0A)
        case .complete(let line) where line.starts(with: Array("age-encryption.org/".utf8)):
            throw DPMError.invalidInput("\(name) is an age file of format \(String(decoding: line, as: UTF8.self)), which dpm cannot read (it reads age-encryption.org/v1).")
        case .unterminated(let bytes) where Array(versionLine.utf8).starts(with: bytes) || bytes == Array(versionLine.utf8):
            throw truncated
        case .endOfStream:
            throw DPMError.corrupt("\(name) is empty, not an age encrypted file.")
        default:
            throw DPMError.corrupt("\(name) is not an age encrypted file: it does not begin with \"\(versionLine)\".")
        }

        var stanzas: [AgeStanza] = []
        var pending = try nextLine()
        while true {
            if pending.starts(with: Array("---".utf8)) {
                // The MAC covers the header up to "---", not the space and MAC after it.
                authenticated.removeLast(pending.count + 1 - 3)
                guard !stanzas.isEmpty else { throw malformed("the header has no recipient stanza") }
                guard pending.count == 4 + 43, pending[3] == 0x20,
                      let mac = AgeBase64.decode(Substring(decoding: pending[4...], as: UTF8.self)), mac.count == 32 else {
                    throw malformed("the MAC line is not \"--- \" and 43 base64 characters")
                }
                return AgeHeader(stanzas: stanzas, mac: mac, authenticated: authenticated)
            }
            guard pending.starts(with: Array("-> ".utf8)) else {
                throw malformed("expected a stanza (\"-> …\") or the MAC line (\"--- …\")")
            }
            guard stanzas.count < stanzaLimit else { throw malformed("more than \(stanzaLimit) stanzas") }
            let fields = pending[3...].split(separator: 0x20, omittingEmptySubsequences: false)
            guard !fields.isEmpty, fields.allSatisfy({ !$0.isEmpty && $0.allSatisfy { (0x21...0x7E).contains($0) } }) else {
                throw malformed("a stanza's arguments must be printable words separated by single spaces")
            }
            var base64 = [UInt8]()
            while true {
                let line = try nextLine()
                guard line.count <= 64, line.allSatisfy(AgeBase64.isAlphabet) else {
                    throw malformed("a stanza's body must be base64 lines of 64 characters ending with a shorter one")
                }
                base64.append(contentsOf: line)
                if line.count < 64 { break }
            }
            guard let body = AgeBase64.decode(Substring(decoding: base64, as: UTF8.self)) else {
                throw malformed("a stanza's body is not canonical base64")
            }
            stanzas.append(AgeStanza(arguments: fields.map { String(decoding: $0, as: UTF8.self) }, body: body))
            pending = try nextLine()
        }
    }
}
