import Foundation

/// age's ASCII armor (`age -a`): the binary file as strict PEM, "AGE ENCRYPTED FILE", base64
/// with padding in lines of 64. Decoded line by line, so an armored file streams too.
final class AgeArmorReader: ByteReader {
    static let begin = "-----BEGIN AGE ENCRYPTED FILE-----"
    static let end = "-----END AGE ENCRYPTED FILE-----"

    private let lines: LineReader
    private let name: String
    private var output = Data()
    private var outputOffset = 0
    private var started = false
    private var ended = false
    private var sawShortLine = false
    private var lineNumber = 0

    init(_ lines: LineReader, name: String) {
        self.lines = lines
        self.name = name
    }

    /// Whether the stream starts like an armored file (after whitespace).
    static func isArmored(_ lines: LineReader) throws -> Bool {
        let start = try lines.peek(256)
        let text = start.drop { $0 == 0x20 || $0 == 0x09 || $0 == 0x0A || $0 == 0x0D }
        return text.starts(with: Array(begin.utf8))
    }

    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        while outputOffset == output.count {
            guard !ended else { return 0 }
            try decodeNextLine()
        }
        let count = min(buffer.count, output.count - outputOffset)
        output.withUnsafeBytes { bytes in
            buffer.baseAddress!.copyMemory(from: bytes.baseAddress! + outputOffset, byteCount: count)
        }
        outputOffset += count
        return count
    }

    private func malformed(_ problem: String) -> DPMError {
        DPMError.corrupt("\(name) is armored (PEM) age, but line \(lineNumber) is wrong: \(problem); it was changed or damaged.")
    }

    /// A line without its line ending (LF or CRLF), or nil at the end of the stream.
    private func nextLine() throws -> String? {
        lineNumber += 1
        let line: [UInt8]
        switch try lines.nextLine(limit: 1024) {
        case .complete(let bytes), .unterminated(let bytes): line = bytes
        case .endOfStream: return nil
        case nil: throw malformed("it is longer than 64 characters")
        }
        let text = String(decoding: line, as: UTF8.self)
        return text.hasSuffix("\r") ? String(text.dropLast()) : text
    }

    private func decodeNextLine() throws {
        if !started {
            while true {
                guard let line = try nextLine() else { throw DPMError.corrupt("\(name) is truncated: its armor has no begin line.") }
                let trimmed = line.trimmingCharacters(in: .whitespaces)
                if trimmed.isEmpty { continue }
                guard trimmed == Self.begin else { throw malformed("expected \"\(Self.begin)\"") }
                started = true
                break
            }
        }
        guard let line = try nextLine() else { throw DPMError.corrupt("\(name) is truncated: its armor ends without \"\(Self.end)\".") }
        if line == Self.end {
            while let rest = try nextLine() {
                guard rest.trimmingCharacters(in: .whitespaces).isEmpty else { throw malformed("nothing may follow the end line") }
            }
            ended = true
            output = Data()
            outputOffset = 0
            return
        }
        guard !sawShortLine else { throw malformed("only the last line of the armor may be shorter than 64 characters") }
        guard line.utf8.count <= 64, !line.isEmpty else { throw malformed("armor lines have 1 to 64 characters") }
        if line.utf8.count < 64 { sawShortLine = true }
        guard let data = Data(base64Encoded: line), data.base64EncodedString() == line else {
            throw malformed("it is not canonical base64")
        }
        if line.hasSuffix("=") { sawShortLine = true }
        output = data
        outputOffset = 0
    }
}
