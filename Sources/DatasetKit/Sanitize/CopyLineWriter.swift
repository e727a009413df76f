/// Cuts a stream of COPY data into lines for `handle(line:newline:)`, however the writes split
/// them: memory is one write plus the longest line, whatever the table's size.
public class CopyLineWriter: ByteWriter {
    /// A line split across writes, until its newline arrives.
    private var pending: [UInt8] = []
    public private(set) var lineCount: Int64 = 0
    /// The most bytes held for a partial line: the memory the stream's lines take.
    public private(set) var peakPendingBytes = 0

    /// One line without its newline; `newline` is false only for a last line that lacks one.
    func handle(line: UnsafeRawBufferPointer, newline: Bool) throws {}

    /// Called once, after the last line.
    func finishLines() throws {}

    public func write(_ bytes: UnsafeRawBufferPointer) throws {
        var start = 0
        while start < bytes.count {
            guard let newline = bytes.index(of: CopyText.newline, from: start) else {
                pending.append(contentsOf: bytes[start...])
                peakPendingBytes = max(peakPendingBytes, pending.count)
                return
            }
            let piece = UnsafeRawBufferPointer(rebasing: bytes[start..<newline])
            if pending.isEmpty {
                try handle(line: piece, newline: true)
            } else {
                pending.append(contentsOf: piece)
                peakPendingBytes = max(peakPendingBytes, pending.count)
                try pending.withUnsafeBytes { try handle(line: $0, newline: true) }
                pending.removeAll(keepingCapacity: pending.count <= streamChunkSize)
            }
            lineCount += 1
            start = newline + 1
        }
    }

    public func finish() throws {
        if !pending.isEmpty {
            try pending.withUnsafeBytes { try handle(line: $0, newline: false) }
            pending.removeAll()
            lineCount += 1
        }
        try finishLines()
    }
}
