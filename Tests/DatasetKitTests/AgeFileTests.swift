@testable import DatasetKit
import Crypto
import Foundation
import XCTest

/// age files made and read by dpm: round trips of every size class, several recipients, and
/// each way a file can be wrong failing with its own sentence.
final class AgeFileTests: XCTestCase {
    let alice = AgeIdentity.generate()
    let bob = AgeIdentity.generate()
    let eve = AgeIdentity.generate()

    static func bytes(_ count: Int, seed: UInt8 = 7) -> Data {
        Data((0..<count).map { UInt8(truncatingIfNeeded: $0 &* 131 &+ Int(seed) &+ $0 >> 9) })
    }

    private func message(_ body: () throws -> Void) -> String {
        do {
            try body()
            return "no error"
        } catch {
            return (error as? DPMError)?.message ?? "\(error)"
        }
    }

    func testRoundTripsOfEverySizeClass() throws {
        let chunk = PayloadStream.chunkSize
        for size in [0, 1, 100, chunk - 1, chunk, chunk + 1, 2 * chunk, 3 * chunk + 17] {
            let plaintext = Self.bytes(size)
            let file = try AgeFile.encrypt(plaintext, to: [alice.recipient])
            XCTAssertEqual(try AgeFile.decrypt(file, with: [alice], name: "f"), plaintext, "size \(size)")
            let chunks = max(1, (size + chunk - 1) / chunk)
            let header = try AgeHeader.read(from: LineReader(DataReader(file)), name: "f")
            XCTAssertEqual(file.count, header.authenticated.count + 45 + 16 + size + 16 * chunks, "size \(size)")
        }
    }

    func testStreamingWriterAndReaderAgreeWithTheInMemoryForm() throws {
        let plaintext = Self.bytes(300_000)
        let sink = DataWriter()
        let writer = try AgeFile.encryptingWriter(to: [alice.recipient, bob.recipient], downstream: sink)
        // Odd write sizes cross chunk boundaries everywhere.
        var offset = 0, step = 1
        while offset < plaintext.count {
            let end = min(plaintext.count, offset + step)
            try plaintext[offset..<end].withUnsafeBytes { try writer.write($0) }
            offset = end
            step = step * 3 % 70_001 + 1
        }
        try writer.finish()
        XCTAssertEqual(try AgeFile.decrypt(sink.data, with: [bob], name: "f"), plaintext)

        let reader = try AgeFile.decrypting(DataReader(sink.data), with: [alice], name: "f")
        var collected = Data()
        var buffer = [UInt8](repeating: 0, count: 777)
        while true {
            let count = try buffer.withUnsafeMutableBytes { try reader.read(into: $0) }
            if count == 0 { break }
            collected.append(contentsOf: buffer[..<count])
        }
        XCTAssertEqual(collected, plaintext)
    }

    /// Bytes made on the fly: a source of any size that is never in memory as a whole.
    private final class GeneratedReader: ByteReader {
        private var remaining: Int
        private var counter: UInt8 = 0
        let hasher = HashingWriter()

        init(size: Int) { remaining = size }

        func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
            let count = min(remaining, buffer.count, 50_000)
            for index in 0..<count {
                counter = counter &* 73 &+ 41
                buffer[index] = counter
            }
            remaining -= count
            try hasher.write(UnsafeRawBufferPointer(rebasing: buffer[0..<count]))
            return count
        }
    }

    func testAnySizeStreamsThroughEncryptionAndDecryption() throws {
        let source = GeneratedReader(size: 24 << 20)
        let encrypted = try AgeFile.encrypting(source, to: [bob.recipient])
        let decrypted = try AgeFile.decrypting(encrypted, with: [bob], name: "f")
        let sink = HashingWriter()
        XCTAssertEqual(try decrypted.pump(into: sink), 24 << 20)
        XCTAssertEqual(sink.hexDigest(), source.hasher.hexDigest())
    }

    func testEveryRecipientAndNoOneElseDecrypts() throws {
        let plaintext = Data("the store key".utf8)
        let file = try AgeFile.encrypt(plaintext, to: [alice.recipient, bob.recipient])
        XCTAssertEqual(try AgeFile.decrypt(file, with: [alice], name: "f"), plaintext)
        XCTAssertEqual(try AgeFile.decrypt(file, with: [bob], name: "f"), plaintext)
        XCTAssertEqual(try AgeFile.decrypt(file, with: [eve, bob], name: "f"), plaintext, "any matching identity of several")
        XCTAssertThrowsError(try AgeFile.decrypt(file, with: [eve], name: "keys/x.age")) { error in
            XCTAssertEqual((error as? DPMError)?.kind, .permissionDenied)
            XCTAssertEqual((error as? DPMError)?.message,
                           "keys/x.age is not encrypted to \(eve.recipient) (it has 2 recipient stanzas, none of them for that key).")
        }
        XCTAssertNotEqual(try AgeFile.encrypt(plaintext, to: [alice.recipient]), try AgeFile.encrypt(plaintext, to: [alice.recipient]),
                          "a new file key and nonce every time")
    }

    /// The byte offsets of a file's parts, to change bytes in each.
    private struct Layout {
        let file: Data
        let headerEnd: Int
        let payloadStart: Int
        let lines: [Range<Int>]

        init(_ file: Data) throws {
            self.file = file
            let header = try AgeHeader.read(from: LineReader(DataReader(file)), name: "f")
            headerEnd = header.authenticated.count + 45 // " ", 43 MAC characters, "\n"
            payloadStart = headerEnd + 16
            var lines: [Range<Int>] = []
            var start = 0
            for (index, byte) in file[..<headerEnd].enumerated() where byte == 0x0A {
                lines.append(start..<index)
                start = index + 1
            }
            self.lines = lines
        }

        func changing(_ offset: Int, to value: UInt8? = nil) -> Data {
            var copy = file
            copy[offset] = value ?? (copy[offset] ^ 0x01)
            return copy
        }

        /// Another base64 character at `offset`, so the header still parses.
        func changingCharacter(_ offset: Int) -> Data {
            changing(offset, to: file[offset] == UInt8(ascii: "A") ? UInt8(ascii: "B") : UInt8(ascii: "A"))
        }
    }

    func testEachTamperedPartFailsWithItsOwnSentence() throws {
        let chunk = PayloadStream.sealedChunkSize
        let plaintext = Self.bytes(2 * PayloadStream.chunkSize + 5000)
        let layout = try Layout(try AgeFile.encrypt(plaintext, to: [alice.recipient, bob.recipient]))
        // Lines: version, alice's "->" line, her body, bob's "->" line, his body, the MAC line.
        XCTAssertEqual(layout.lines.count, 6)
        let decrypt = { (file: Data) in _ = try AgeFile.decrypt(file, with: [self.alice], name: "keys/a.age") }

        XCTAssertEqual(message { try decrypt(layout.changing(layout.lines[0].lowerBound + 2)) },
                       "keys/a.age is not an age encrypted file: it does not begin with \"age-encryption.org/v1\".")
        XCTAssertEqual(message { try decrypt(layout.changing(layout.lines[1].lowerBound + 1)) },
                       "keys/a.age has a malformed age header (line 2: expected a stanza (\"-> …\") or the MAC line (\"--- …\")); it was changed or damaged.")
        XCTAssertEqual(message { try decrypt(layout.changing(layout.lines[3].lowerBound + 3, to: UInt8(ascii: "Y"))) },
                       "keys/a.age fails its age header's MAC check: its header was changed or damaged.",
                       "a stanza type nobody reads is ignored, but the MAC covers it")
        // The body of another recipient's stanza: alice still finds her file key, and the MAC catches it.
        XCTAssertEqual(message { try decrypt(layout.changingCharacter(layout.lines[4].lowerBound + 5)) },
                       "keys/a.age fails its age header's MAC check: its header was changed or damaged.")
        // Her own stanza's body: an anonymous stanza that no longer opens is not for her.
        XCTAssertEqual(message { try decrypt(layout.changingCharacter(layout.lines[2].lowerBound + 5)) },
                       "keys/a.age is not encrypted to \(alice.recipient) (it has 2 recipient stanzas, none of them for that key).")
        XCTAssertEqual(message { try decrypt(layout.changing(layout.lines[2].lowerBound + 5, to: UInt8(ascii: "!"))) },
                       "keys/a.age has a malformed age header (line 3: a stanza's body must be base64 lines of 64 characters ending with a shorter one); it was changed or damaged.")
        XCTAssertEqual(message { try decrypt(layout.changingCharacter(layout.lines[5].lowerBound + 10)) },
                       "keys/a.age fails its age header's MAC check: its header was changed or damaged.")
        XCTAssertEqual(message { try decrypt(layout.changing(layout.headerEnd + 3)) },
                       "keys/a.age fails authentication in chunk 1 of its encrypted payload: its bytes were changed.", "the nonce")
        XCTAssertEqual(message { try decrypt(layout.changing(layout.payloadStart + chunk + 100)) },
                       "keys/a.age fails authentication in chunk 2 of its encrypted payload: its bytes were changed.")
        XCTAssertEqual(message { try decrypt(layout.changing(layout.file.count - 1)) },
                       "keys/a.age fails authentication in chunk 3 of its encrypted payload: its bytes were changed, or was cut short.")

        var swapped = layout.file
        swapped.replaceSubrange(layout.payloadStart..<(layout.payloadStart + 2 * chunk),
                                with: layout.file[(layout.payloadStart + chunk)..<(layout.payloadStart + 2 * chunk)]
                                    + layout.file[layout.payloadStart..<(layout.payloadStart + chunk)])
        XCTAssertEqual(message { try decrypt(swapped) },
                       "keys/a.age fails authentication in chunk 1 of its encrypted payload: its bytes were changed.", "chunks in another order")
    }

    func testEachTruncationFailsSayingSo() throws {
        let chunk = PayloadStream.sealedChunkSize
        let layout = try Layout(try AgeFile.encrypt(Self.bytes(2 * PayloadStream.chunkSize + 5000), to: [alice.recipient]))
        let decrypt = { (file: Data) in _ = try AgeFile.decrypt(file, with: [self.alice], name: "f.age") }
        XCTAssertEqual(message { try decrypt(Data()) }, "f.age is empty, not an age encrypted file.")
        XCTAssertEqual(message { try decrypt(layout.file.prefix(10)) }, "f.age is truncated: it ends inside its age header.")
        XCTAssertEqual(message { try decrypt(layout.file.prefix(layout.lines[2].upperBound)) }, "f.age is truncated: it ends inside its age header.")
        XCTAssertEqual(message { try decrypt(layout.file.prefix(layout.headerEnd - 5)) }, "f.age is truncated: it ends inside its age header.")
        XCTAssertEqual(message { try decrypt(layout.file.prefix(layout.headerEnd + 8)) }, "f.age is truncated: it ends before its payload's nonce.")
        XCTAssertEqual(message { try decrypt(layout.file.prefix(layout.payloadStart)) },
                       "f.age is truncated: its encrypted payload ends before its last chunk.")
        XCTAssertEqual(message { try decrypt(layout.file.prefix(layout.payloadStart + 2 * chunk)) },
                       "f.age is truncated: its encrypted payload ends after chunk 2, before its last chunk.")
        XCTAssertEqual(message { try decrypt(layout.file.prefix(layout.payloadStart + 2 * chunk + 100)) },
                       "f.age fails authentication in chunk 3 of its encrypted payload: its bytes were changed, or was cut short.")
        XCTAssertEqual(message { try decrypt(layout.file.prefix(layout.payloadStart + 100)) },
                       "f.age fails authentication in chunk 1 of its encrypted payload: its bytes were changed, or was cut short.")
    }

    func testBytesAfterTheLastChunkAreRefused() throws {
        let full = try AgeFile.encrypt(Self.bytes(2 * PayloadStream.chunkSize), to: [alice.recipient])
        XCTAssertEqual(message { _ = try AgeFile.decrypt(full + Data([0]), with: [self.alice], name: "f") },
                       "f has bytes after the last chunk of its encrypted payload: they were added.")
        let short = try AgeFile.encrypt(Self.bytes(10), to: [alice.recipient])
        XCTAssertEqual(message { _ = try AgeFile.decrypt(short + Data([0]), with: [self.alice], name: "f") },
                       "f fails authentication in chunk 1 of its encrypted payload: its bytes were changed, or was cut short.")
    }

    func testPassphraseAndOtherVersionsAreNamed() throws {
        XCTAssertEqual(message { _ = try AgeFile.decrypt(Data("age-encryption.org/v2\n".utf8), with: [self.alice], name: "f") },
                       "f is an age file of format age-encryption.org/v2, which dpm cannot read (it reads age-encryption.org/v1).")
        let stanza = AgeStanza(arguments: ["scrypt", AgeBase64.encode(Data(count: 16)), "18"], body: Data(count: 32))
        var file = AgeHeader.unauthenticatedBytes([stanza])
        file.append(Data((" " + AgeBase64.encode(Data(count: 32)) + "\n").utf8))
        XCTAssertEqual(message { _ = try AgeFile.decrypt(file, with: [self.alice], name: "f") },
                       "f is encrypted with a passphrase (age -p), which dpm does not use; it needs a file encrypted to an age1 key.")
    }

    func testALowOrderShareIsRefused() throws {
        let stanza = AgeStanza(arguments: ["X25519", AgeBase64.encode(Data(count: 32))], body: Data(count: 32))
        var file = AgeHeader.unauthenticatedBytes([stanza])
        file.append(Data((" " + AgeBase64.encode(Data(count: 32)) + "\n").utf8))
        XCTAssertEqual(message { _ = try AgeFile.decrypt(file, with: [self.alice], name: "f") },
                       "f has a malformed age header (an X25519 stanza's share is a low-order point); it was changed or damaged.")
    }

    func testStanzaBodiesWrapAt64Columns() throws {
        for length in [0, 1, 47, 48, 49, 96, 200] {
            let stanza = AgeStanza(arguments: ["test", "a"], body: Self.bytes(length))
            var file = AgeHeader.unauthenticatedBytes([stanza])
            file.append(Data((" " + AgeBase64.encode(Data(count: 32)) + "\n").utf8))
            let header = try AgeHeader.read(from: LineReader(DataReader(file)), name: "f")
            XCTAssertEqual(header.stanzas, [stanza], "body of \(length) bytes")
            let lines = String(decoding: stanza.encoded(), as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false).dropFirst().dropLast()
            XCTAssertTrue(lines.dropLast().allSatisfy { $0.count == 64 } && lines.last!.count < 64, "\(length): \(lines)")
        }
    }

    func testArmoredFilesAreReadAndStrictlyChecked() throws {
        let plaintext = Self.bytes(1000)
        let binary = try AgeFile.encrypt(plaintext, to: [alice.recipient])
        let base64 = binary.base64EncodedString()
        var lines: [String] = []
        var index = base64.startIndex
        while index < base64.endIndex {
            let end = base64.index(index, offsetBy: 64, limitedBy: base64.endIndex) ?? base64.endIndex
            lines.append(String(base64[index..<end]))
            index = end
        }
        let armored = "\n  -----BEGIN AGE ENCRYPTED FILE-----\n" + lines.joined(separator: "\n") + "\n-----END AGE ENCRYPTED FILE-----\n\n"
        XCTAssertEqual(try AgeFile.decrypt(Data(armored.utf8), with: [alice], name: "f"), plaintext)
        let crlf = armored.replacingOccurrences(of: "\n", with: "\r\n")
        XCTAssertEqual(try AgeFile.decrypt(Data(crlf.utf8), with: [alice], name: "f"), plaintext)

        let trailing = armored + "junk\n"
        XCTAssertTrue(message { _ = try AgeFile.decrypt(Data(trailing.utf8), with: [self.alice], name: "f") }.contains("nothing may follow the end line"))
        let cut = "-----BEGIN AGE ENCRYPTED FILE-----\n" + lines.dropLast().joined(separator: "\n") + "\n"
        XCTAssertEqual(message { _ = try AgeFile.decrypt(Data(cut.utf8), with: [self.alice], name: "f") },
                       "f is truncated: its armor ends without \"-----END AGE ENCRYPTED FILE-----\".")
        let short = "-----BEGIN AGE ENCRYPTED FILE-----\n" + lines[0].dropLast(4) + "\n" + lines.dropFirst().joined(separator: "\n") + "\n-----END AGE ENCRYPTED FILE-----\n"
        XCTAssertTrue(message { _ = try AgeFile.decrypt(Data(short.utf8), with: [self.alice], name: "f") }.contains("only the last line"))
    }
}
