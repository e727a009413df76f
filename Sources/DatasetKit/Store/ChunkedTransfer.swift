import Foundation

/// Artifacts stored as content-defined chunks (format 2): each chunk an object named by the id
/// of its content, the artifact's object its chunk list. An insert, update or delete in the
/// middle of a table changes only the chunks around it, so a refreshed snapshot stores (and a
/// restore with the older chunks cached downloads) only those.
extension ObjectTransfer {
    /// What storing one artifact as chunks gave.
    public struct StoredArtifact: Sendable {
        /// The artifact's object: its chunk list, or the content itself when it is one chunk.
        public var sha256: String
        public var size: Int64
        /// Stored bytes of every chunk, of the list, and of the bases of patched chunks.
        public var storedSize: Int64
        public var newlines: Int64
        /// nil when the content is one chunk (stored as it would be unchunked).
        public var chunks: ChunkedContent?
        /// Set when the content is one small chunk that travels in a pack.
        public var pack: PackedAt?
        /// Every object stored or reused for it, chunks in content order, then the list.
        public var objects: [Stored]

        /// The record's artifact for the file stored at `path`; a table's gets its row count
        /// (a COPY data file ends with a "\." line and two blank lines).
        public func artifact(path: String, table: String?) -> Artifact {
            Artifact(path: path, sha256: sha256, size: size, storedSize: storedSize, table: table,
                     rows: table.map { _ in max(0, newlines - 3) }, chunks: chunks, pack: pack)
        }
    }

    /// Cuts a local file into chunks and stores each the store lacks (see `storeIfAbsent`), up
    /// to `width` at once; then the chunk list, unless the content is a single chunk.
    /// `table`: the table whose data the file holds, whose older chunks changed ones are patched against.
    public func storeChunked(fileAt path: String, countingLines: Bool = false, recordedSizes: [String: Int64] = [:],
                             width: Int = 1, parameters: ChunkerParameters = .standard, table: String? = nil) throws -> StoredArtifact {
        let chunkStore = chunkStoring(width: width, recordedSizes: recordedSizes)
        let cut: CutContent
        do {
            cut = try self.cut(try FileReader(path: path), into: chunkStore, countingLines: countingLines, parameters: parameters, table: table)
        } catch {
            _ = try? chunkStore.finish() // no chunk is still being stored once this returns
            throw error
        }
        return try storeList(of: Array(try chunkStore.finish()[cut.chunks]), newlines: cut.newlines, recordedSizes: recordedSizes)
    }

    /// Where storing chunks goes: each chunk stored unless the store has it, counted in the
    /// progress; a whole content below the packs' member limit goes into the packs, if any.
    func chunkStoring(width: Int, recordedSizes: [String: Int64]) -> ChunkStoring {
        ChunkStoring(width: width) { [self] data, whole, hint in
            let stored = if whole, let packs, data.count < packs.memberLimit {
                try storePacked(data, in: packs)
            } else if let hint {
                try storeChunk(data, hint: hint, recordedSizes: recordedSizes)
            } else {
                try storeData(data, recordedSizes: recordedSizes)
            }
            progress.advance(bytes: stored.size)
            return stored
        }
    }

    /// What cutting one stream handed over: the indexes of its chunks, and its line feeds.
    struct CutContent: Sendable {
        var chunks: Range<Int>
        var newlines: Int64
    }

    /// Reads `source` to its end, handing each chunk to `chunkStore`. `through` gives the writer
    /// the content passes first (which finishes what it writes into) when there is one. With
    /// `patches`, each chunk goes with its head, and `table`'s chunks with their patch base.
    func cut(_ source: ByteReader, into chunkStore: ChunkStoring, countingLines: Bool, parameters: ChunkerParameters,
             table: String? = nil, through transform: ((ByteWriter) throws -> ByteWriter)? = nil) throws -> CutContent {
        let first = chunkStore.count
        let lines = NewlineCounter()
        // The chunk that `finish` emits is the whole content when none came before it.
        var finishing = false
        let bases = patches?.bases(for: table)
        let chunker = ContentChunker(parameters: parameters) { [patches, sealing] bytes in
            let hint = patches.map { _ in ChunkHead.of(bytes, sealing: sealing) }.map { ChunkHint(head: $0, base: bases?.base(forHead: $0, size: bytes.count)) }
            try chunkStore.submit(Data(bytes), whole: finishing && chunkStore.count == first, hint: hint)
        }
        let sink = FinishingWriter(chunker) { finishing = true }
        let counted: ByteWriter = countingLines ? FanOutWriter([lines, sink]) : sink
        let head = try transform?(counted) ?? counted
        try source.pump(into: head)
        try head.finish()
        return CutContent(chunks: first..<chunkStore.count, newlines: lines.count)
    }

    /// The artifact the stored `chunks` make: its chunk list, stored now, or the one chunk itself.
    func storeList(of chunks: [Stored], newlines: Int64, recordedSizes: [String: Int64]) throws -> StoredArtifact {
        let size = chunks.reduce(0) { $0 + $1.size }
        guard chunks.count > 1 else {
            // One chunk (or an empty file) is the content itself: the object format 1 names too.
            let whole = try chunks.first ?? storeData(Data(), recordedSizes: recordedSizes)
            return StoredArtifact(sha256: whole.sha256, size: size, storedSize: whole.storedSize, newlines: newlines,
                                  chunks: nil, pack: whole.packedAt, objects: [whole])
        }
        let list = try storeData(try ChunkList.encode(chunks.map(\.chunk)),
                                 recordedSizes: recordedSizes)
        // What restoring it reads: its list, its chunks, and the bases its patches apply to (each once).
        var bases: [String: Int64] = [:]
        for chunk in chunks { if let patched = chunk.patched { bases[patched.base] = patched.baseStoredSize } }
        for chunk in chunks { bases[chunk.sha256] = nil }
        let storedSize = chunks.reduce(list.storedSize) { $0 + $1.storedSize } + bases.values.reduce(0, +)
        return StoredArtifact(sha256: list.sha256, size: size, storedSize: storedSize,
                              newlines: newlines, chunks: ChunkedContent(count: chunks.count, listSize: list.size, listStoredSize: list.storedSize),
                              pack: nil, objects: chunks + [list])
    }

    /// A local file's `ChunkList.contentID`, as an upload would cut it, read once and stored
    /// nowhere; with its size and line feeds (`dpm diff --working`).
    public func contentID(ofFileAt path: String, countingLines: Bool = false, parameters: ChunkerParameters = .standard) throws -> FileDigest {
        var ids: [String] = []
        let lines = NewlineCounter()
        var size: Int64 = 0
        let key = sealing?.idKey
        let chunker = ContentChunker(parameters: parameters) { bytes in
            let hasher = HashingWriter(key: key)
            try hasher.write(bytes)
            ids.append(hasher.hexDigest())
            size += Int64(bytes.count)
        }
        try FileReader(path: path).pump(into: countingLines ? FanOutWriter([lines, chunker]) : chunker)
        try chunker.finish()
        let id = ids.isEmpty ? (sealing?.id(of: Data()) ?? SHA256Hex.of(Data())) : ChunkList.contentID(of: ids)
        return FileDigest(sha256: id, size: size, newlines: lines.count)
    }

    /// `ChunkList.contentID` of a stored artifact (its list read when it is chunked).
    public func contentID(of artifact: Artifact, what: String? = nil) throws -> String {
        guard artifact.chunks != nil else { return artifact.sha256 }
        return ChunkList.contentID(of: try chunks(of: artifact, what: what).map(\.contentID))
    }

    /// The chunks of a chunked artifact, from its list (read, verified and cached like any object).
    public func chunks(of artifact: Artifact, what: String? = nil) throws -> [Chunk] {
        let label = what ?? artifact.path
        let data = try fetchData(sha256: artifact.sha256, what: "chunk list of \(label)")
        return try ChunkList.decode(data, of: artifact, what: label)
    }

    /// Streams an artifact's content into `writer` (not finished): its object, or its chunks in order.
    public func read(_ artifact: Artifact, into writer: ByteWriter, what: String? = nil) throws {
        guard artifact.chunks != nil else {
            return try read(sha256: artifact.sha256, into: writer, what: what ?? artifact.path, packedAt: artifact.pack, storedSize: artifact.storedSize)
        }
        let label = what ?? artifact.path
        let chunks = try chunks(of: artifact, what: label)
        try prefetchPatches(of: chunks, label: label)
        let ahead = prefetch(chunks)
        defer { ahead?.stop() }
        for (number, chunk) in chunks.enumerated() {
            ahead?.wait(for: number)
            let what = "\(label), chunk \(number + 1) of \(chunks.count)"
            if chunk.isPatch {
                try readPatched(chunk, into: writer, what: what)
            } else {
                try read(sha256: chunk.id, into: writer, what: what)
            }
        }
    }

    /// With a download cache, the whole chunks it lacks are downloaded a few ahead of the reader.
    private func prefetch(_ chunks: [Chunk]) -> ChunkPrefetch? {
        guard let cache, chunks.count > 1 else { return nil }
        let quiet = self.quiet
        return ChunkPrefetch(ids: chunks.map { !$0.isPatch && !cache.contains($0.id) ? $0.id : nil }) { id in
            _ = try? quiet.read(sha256: id, into: NullWriter())
        }
    }

    /// An artifact's verified content in memory (a table of contents).
    public func fetchData(_ artifact: Artifact, what: String) throws -> Data {
        let sink = DataWriter()
        try read(artifact, into: sink, what: what)
        return sink.data
    }
}

/// A writer that runs `beforeFinish` just before it finishes `downstream`.
final class FinishingWriter: ByteWriter {
    private let downstream: ByteWriter
    private let beforeFinish: () -> Void
    init(_ downstream: ByteWriter, beforeFinish: @escaping () -> Void) {
        self.downstream = downstream
        self.beforeFinish = beforeFinish
    }
    func write(_ bytes: UnsafeRawBufferPointer) throws { try downstream.write(bytes) }
    func finish() throws {
        beforeFinish()
        try downstream.finish()
    }
}

/// Writes the same bytes to several writers.
final class FanOutWriter: ByteWriter {
    private let writers: [ByteWriter]
    init(_ writers: [ByteWriter]) { self.writers = writers }
    func write(_ bytes: UnsafeRawBufferPointer) throws { for writer in writers { try writer.write(bytes) } }
    func finish() throws { for writer in writers { try writer.finish() } }
}
