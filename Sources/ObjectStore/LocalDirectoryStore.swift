import DatasetKit
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A store in a local folder. A put streams into `.tmp/`, is fsynced, and is renamed
/// into place, so a reader never sees a partial object and a crash leaves only `.tmp/` litter.
public struct LocalDirectoryStore: ObjectStore {
    public let root: String

    /// Opens (and creates, if missing) the store folder, checking that it can be written.
    public init(root: String) throws {
        self.root = root
        try createFolder(root, purpose: "the store folder")
        try createFolder("\(root)/.tmp", purpose: "the store folder")
        guard access("\(root)/.tmp", W_OK) == 0 else {
            throw DPMError.systemCall("The store folder \(root) is not writable")
        }
    }

    public var displayName: String { "file://\(root)" }

    public var partialsFolder: String? { "\(root)/.tmp" }

    private func path(_ key: String) throws -> String {
        guard StoreLayout.isValidKey(key) else { throw DPMError.invalidStoreKey(key) }
        return "\(root)/\(key)"
    }

    @discardableResult
    public func put(_ key: String, from source: ByteReader, expectedSHA256: String?, overwrite: Bool,
                    verify: (@Sendable (ByteReader) throws -> Void)?) throws -> StoredBytes {
        let destination = try path(key)
        let temporary = "\(root)/.tmp/\(ScratchNames.partial())"
        do {
            let file = ConcurrentCheck(verify: verify, forwardingTo: try FileWriter(path: temporary, exclusive: true))
            defer { file.end() }
            try source.pump(into: file)
            try file.finish()
            let stored = try file.awaitVerdict()
            if let expectedSHA256, expectedSHA256 != stored.sha256 {
                throw DPMError.storedHashMismatch(key: key, expected: expectedSHA256, actual: stored.sha256)
            }
            let directory = FilePath.parent(destination)
            try createFolder(directory, purpose: "a folder in the store")
            if overwrite {
                try AtomicFile.rename(temporary, to: destination)
            } else {
                // link(2) fails if the destination exists: an atomic "create only".
                if link(temporary, destination) != 0 {
                    if errno == EEXIST { throw DPMError.objectExists(key: key, store: displayName) }
                    throw DPMError.systemCall("Cannot write \(destination)")
                }
                unlink(temporary)
            }
            AtomicFile.syncDirectory(directory)
            return stored
        } catch {
            unlink(temporary)
            if error is DPMError { throw error }
            throw DPMError.system(sentence("Cannot write to the store folder \(root): \(error.userMessage)"))
        }
    }

    public func open(_ key: String) throws -> ByteReader {
        let file = try path(key)
        guard FileManager.default.fileExists(atPath: file) else { throw DPMError.objectNotFound(key: key, store: displayName) }
        return try FileReader(path: file)
    }

    public func open(_ key: String, range: Range<Int64>) throws -> ByteReader {
        let file = try path(key)
        guard FileManager.default.fileExists(atPath: file) else { throw DPMError.objectNotFound(key: key, store: displayName) }
        return try FileReader(path: file, offset: range.lowerBound, length: Int64(range.count))
    }

    public func storedSize(_ key: String) throws -> Int64? {
        var info = stat()
        guard stat(try path(key), &info) == 0 else { return nil }
        return Int64(info.st_size)
    }

    public func entries(prefix: String) throws -> [StoreEntry] {
        // Walk only the folder the prefix names, not the whole store.
        let folder = prefix.contains("/") ? String(prefix[..<prefix.lastIndex(of: "/")!]) : ""
        let start = folder.isEmpty ? root : "\(root)/\(folder)"
        guard let walker = FileManager.default.enumerator(atPath: start) else { return [] }
        var entries: [StoreEntry] = []
        while let relative = walker.nextObject() as? String {
            let key = folder.isEmpty ? relative : "\(folder)/\(relative)"
            guard key.hasPrefix(prefix), !key.hasPrefix(".tmp"), StoreLayout.isValidKey(key) else { continue }
            var info = stat()
            if stat("\(root)/\(key)", &info) == 0, info.st_mode & S_IFMT == S_IFREG {
                let modified = Double(info.st_mtim.tv_sec) + Double(info.st_mtim.tv_nsec) / 1e9
                entries.append(StoreEntry(key: key, size: Int64(info.st_size), modified: Date(timeIntervalSince1970: modified)))
            }
        }
        return entries.sorted { $0.key < $1.key }
    }

    public func delete(_ key: String) throws {
        let file = try path(key)
        if unlink(file) != 0, errno != ENOENT {
            throw DPMError.systemCall("Cannot delete \(file)")
        }
    }
}
