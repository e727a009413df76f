/// Sanitizes a table's COPY data on its way to `downstream`, a line at a time: memory is one
/// chunk plus the longest line, whatever the table's size.
public final class SanitizingWriter: ByteWriter {
    private let sanitizer: TableSanitizer
    private let downstream: ByteWriter
    /// A line split across writes, until its newline arrives.
    private var pending: [UInt8] = []
    private var output: [UInt8] = []
    public private(set) var lineCount: Int64 = 0
    /// The most bytes held for a partial line: the memory the stream's lines take.
    public private(set) var peakPendingBytes = 0

    public init(_ sanitizer: TableSanitizer, forwardingTo downstream: ByteWriter) {
        self.sanitizer = sanitizer
        self.downstream = downstream
        output.reserveCapacity(streamChunkSize + 4096)
    }

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
                try sanitizer.sanitize(line: piece, newline: true, into: &output)
            } else {
                pending.append(contentsOf: piece)
                peakPendingBytes = max(peakPendingBytes, pending.count)
                try pending.withUnsafeBytes { try sanitizer.sanitize(line: $0, newline: true, into: &output) }
                pending.removeAll(keepingCapacity: pending.count <= streamChunkSize)
            }
            lineCount += 1
            start = newline + 1
            if output.count >= streamChunkSize { try flush() }
        }
    }

    /// Sanitizes a last line without a newline, hands everything on and finishes `downstream`.
    public func finish() throws {
        if !pending.isEmpty {
            try pending.withUnsafeBytes { try sanitizer.sanitize(line: $0, newline: false, into: &output) }
            pending.removeAll()
            lineCount += 1
        }
        try flush()
        try downstream.finish()
    }

    private func flush() throws {
        guard !output.isEmpty else { return }
        try output.withUnsafeBytes { try downstream.write($0) }
        output.removeAll(keepingCapacity: output.count <= 2 * streamChunkSize)
    }
}

extension TableSanitizer {
    /// Sanitizes all of `reader` into `writer`, finishing it; returns the count of lines read.
    @discardableResult
    public func sanitize(from reader: ByteReader, to writer: ByteWriter) throws -> Int64 {
        let sanitizing = SanitizingWriter(self, forwardingTo: writer)
        try reader.pump(into: sanitizing)
        try sanitizing.finish()
        return sanitizing.lineCount
    }
}
