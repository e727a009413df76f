/// Sanitizes a table's COPY data on its way to `downstream`, a line at a time.
public final class SanitizingWriter: CopyLineWriter {
    private let sanitizer: TableSanitizer
    private let downstream: ByteWriter
    private var output: [UInt8] = []

    public init(_ sanitizer: TableSanitizer, forwardingTo downstream: ByteWriter) {
        self.sanitizer = sanitizer
        self.downstream = downstream
        output.reserveCapacity(streamChunkSize + 4096)
    }

    override func handle(line: UnsafeRawBufferPointer, newline: Bool) throws {
        try sanitizer.sanitize(line: line, newline: newline, into: &output)
        if output.count >= streamChunkSize { try flush() }
    }

    /// Hands everything on and finishes `downstream`.
    override func finishLines() throws {
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
