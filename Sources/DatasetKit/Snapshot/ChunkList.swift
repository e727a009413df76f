import Foundation

/// One content-defined chunk of a chunked artifact: an object of its own, named by the id of
/// its content, with its content size and its size as stored.
///
/// A patched chunk (format 4, `base` set) is stored as a patch against an older chunk: `id`
/// names the patch's object (the id of the patch's bytes), `base` the whole chunk it applies
/// to, and `content` the id of what applying it gives. A base is always a whole chunk, never
/// a patch, so reading a chunk takes at most two objects.
public struct Chunk: Codable, Sendable, Equatable {
    public var id: String
    public var size: Int64
    public var storedSize: Int64
    /// The whole chunk a patch applies to; nil for a chunk stored whole.
    public var base: String?
    /// The id of a patched chunk's content; nil for a chunk stored whole (its `id` is that).
    public var content: String?
    /// A short digest of the content's first bytes (`ChunkHead`), by which a later upload
    /// finds the older chunk a changed one most likely resembles; nil in older lists.
    public var head: String?

    public init(id: String, size: Int64, storedSize: Int64, base: String? = nil, content: String? = nil, head: String? = nil) {
        self.id = id
        self.size = size
        self.storedSize = storedSize
        self.base = base
        self.content = content
        self.head = head
    }

    /// The id of the chunk's content, however it is stored.
    public var contentID: String { content ?? id }
    public var isPatch: Bool { base != nil }
}

/// What a record says of an artifact stored as chunks (format 2). The artifact's `sha256` is
/// then the id of its chunk list, an object holding the ordered list of its chunks, so that a
/// record names one object per artifact whatever its size (and stays small enough to be a
/// manifest in git); an unchanged table has an unchanged list, so it costs no new object.
public struct ChunkedContent: Codable, Sendable, Equatable {
    /// Chunks in the list.
    public var count: Int
    /// The chunk list's own bytes, uncompressed and as stored.
    public var listSize: Int64
    public var listStoredSize: Int64

    public init(count: Int, listSize: Int64, listStoredSize: Int64) {
        self.count = count
        self.listSize = listSize
        self.listStoredSize = listStoredSize
    }
}

/// The chunk list object: canonical JSON, an array of chunks in content order.
public enum ChunkList {
    public static func encode(_ chunks: [Chunk]) throws -> Data { try CanonicalJSON.encode(chunks) }

    /// What tells two contents apart without compressing them (`dpm diff`): the one chunk's id,
    /// or for more chunks the SHA-256 of their ids in order. (A list's own id depends on the
    /// chunks' stored sizes, which only storing gives.)
    public static func contentID(of chunkIDs: [String]) -> String {
        chunkIDs.count == 1 ? chunkIDs[0] : SHA256Hex.of(Data(chunkIDs.joined(separator: "\n").utf8))
    }

    /// The list of `artifact` (chunked), checked against what the record says of it: as many
    /// chunks, well-formed ids, sizes adding up to the artifact's.
    public static func decode(_ data: Data, of artifact: Artifact, what: String) throws -> [Chunk] {
        let chunks = try CanonicalJSON.decode([Chunk].self, from: data, what: "The chunk list of \(what)")
        func malformed(_ reason: String) -> DPMError { DPMError.corrupt("The chunk list of \(what) is malformed: \(reason).") }
        if let count = artifact.chunks?.count, chunks.count != count {
            throw malformed("it has \(chunks.count) chunks where the snapshot records \(count)")
        }
        var total: Int64 = 0
        for chunk in chunks {
            guard SHA256Hex.isValid(chunk.id) else { throw malformed("\"\(chunk.id)\" is not an object id") }
            if chunk.base != nil || chunk.content != nil {
                guard let base = chunk.base, let content = chunk.content, SHA256Hex.isValid(base), SHA256Hex.isValid(content) else {
                    throw malformed("the patched chunk \(chunk.id) does not name its base and its content by object ids")
                }
            }
            guard chunk.size > 0, chunk.storedSize > 0 else { throw malformed("a chunk has no bytes") }
            total += chunk.size
        }
        guard total == artifact.size else {
            throw malformed("its chunks hold \(total) bytes where the snapshot records \(artifact.size)")
        }
        return chunks
    }
}
