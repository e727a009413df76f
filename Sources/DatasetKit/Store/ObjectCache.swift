import Foundation

/// A local folder of objects (as stored: compressed) that were downloaded and verified,
/// so later restores of the same content do not download it again. Only verified bytes
/// are admitted; a cached copy that fails verification is evicted.
public struct ObjectCache: Sendable {
    public let root: String

    public init(root: String) throws {
        self.root = root
        // Cached objects are the user's data: owner-only folders and files.
        try PrivateFiles.makeFolder(root, purpose: "the download cache")
        try PrivateFiles.makeFolder("\(root)/.tmp", purpose: "the download cache")
    }

    func path(_ sha256: String) -> String { "\(root)/\(StoreLayout.objectKey(sha256))" }

    func open(_ sha256: String) -> ByteReader? { try? FileReader(path: path(sha256)) }

    func contains(_ sha256: String) -> Bool { access(path(sha256), F_OK) == 0 }

    /// A new file in the cache's scratch folder, invisible until admitted.
    func makeEntry() throws -> (path: String, writer: FileWriter) {
        let temporary = "\(root)/.tmp/\(ScratchNames.partial())"
        return (temporary, try FileWriter(path: temporary, exclusive: true, mode: PrivateFiles.fileMode))
    }

    func admit(_ temporary: String, as sha256: String) throws {
        let destination = path(sha256)
        try createFolder(FilePath.parent(destination), purpose: "the download cache", permissions: PrivateFiles.folderMode)
        try AtomicFile.rename(temporary, to: destination)
    }

    func evict(_ sha256: String) { unlink(path(sha256)) }

    /// Where a copy of the create-only document `key` of `store` (a snapshot record, the
    /// store's settings) is kept: a copy stays true, so it serves when the store cannot be reached.
    func documentPath(_ key: String, of store: ObjectStore) -> String {
        "\(root)/records/\(SHA256Hex.of(Data(store.displayName.utf8)).prefix(16))/\(key)"
    }

    /// Keeps `data` as the copy of `key`; only a convenience, so a copy that cannot be written is not.
    func keepDocument(_ data: Data, as key: String, of store: ObjectStore) {
        let path = documentPath(key, of: store)
        guard !FileManager.default.fileExists(atPath: path) else { return }
        try? createFolder(FilePath.parent(path), purpose: "the download cache", permissions: PrivateFiles.folderMode)
        try? AtomicFile.write(data, to: path, mode: PrivateFiles.fileMode, durable: false)
    }

    /// Drops the copy of `key`, once the store itself no longer has it (`dpm prune`), so that
    /// no command finds a removed record here.
    func forgetDocument(_ key: String, of store: ObjectStore) { unlink(documentPath(key, of: store)) }

    func discard(_ temporary: String) { unlink(temporary) }
}

/// Passes bytes through while copying them to a writer.
final class TeeReader: ByteReader {
    private let source: ByteReader
    private let copy: ByteWriter

    init(_ source: ByteReader, copyingTo copy: ByteWriter) {
        self.source = source
        self.copy = copy
    }

    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        let count = try source.read(into: buffer)
        if count > 0 { try copy.write(UnsafeRawBufferPointer(rebasing: buffer[0..<count])) }
        return count
    }
}
