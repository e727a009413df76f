import Foundation

/// One file of a media folder, as recorded in a snapshot's media index.
public struct MediaEntry: Codable, Sendable, Equatable {
    public var path: String
    public var size: Int64
    public var mode: Int
    public var sha256: String
    /// The object's size as stored, so that restore and later uploads can tell a truncated
    /// or replaced object; absent in indexes of older snapshots. For a chunked file, every
    /// stored byte of it (list and chunks), as for a chunked artifact.
    public var storedSize: Int64?
    /// Set when the file is stored as chunks (above the chunk size): `sha256` then names its
    /// chunk list, as an artifact's does (format 2).
    public var chunks: ChunkedContent?
    /// Set when the file travels in a pack (format 3), as an artifact's `pack`.
    public var pack: PackedAt?

    public init(path: String, size: Int64, mode: Int, sha256: String, storedSize: Int64? = nil, chunks: ChunkedContent? = nil,
                pack: PackedAt? = nil) {
        self.path = path
        self.size = size
        self.mode = mode
        self.sha256 = sha256
        self.storedSize = storedSize
        self.chunks = chunks
        self.pack = pack
    }

    /// The file as an artifact, for the reads and checks artifacts and media files share.
    public var artifact: Artifact {
        Artifact(path: path, sha256: sha256, size: size, storedSize: storedSize ?? 0, mode: mode, chunks: chunks, pack: pack)
    }

    /// The stored size of the object `sha256` names (the chunk list's, for a chunked file).
    public var objectStoredSize: Int64? { chunks?.listStoredSize ?? storedSize }
}

/// A media folder walked for upload: regular files to store, and what was skipped.
public struct MediaScan: Sendable {
    public struct File: Sendable {
        public let relativePath: String
        public let absolutePath: String
        public let mode: Int
    }

    public var files: [File] = []
    /// Relative paths of symlinks and special files, which are reported and skipped.
    public var skipped: [String] = []

    public static func scan(_ root: String) throws -> MediaScan {
        var scan = MediaScan()
        try walk(root, relative: "", into: &scan)
        scan.files.sort { $0.relativePath < $1.relativePath }
        return scan
    }

    private static func walk(_ directory: String, relative: String, into scan: inout MediaScan) throws {
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: directory).sorted()
        } catch {
            throw DPMError.system("Cannot read the media folder \(directory): \(SystemErrorText.reason(error)).")
        }
        for name in names {
            let absolute = "\(directory)/\(name)"
            let path = relative.isEmpty ? name : "\(relative)/\(name)"
            var info = stat()
            guard lstat(absolute, &info) == 0 else { throw fileError("read", absolute) }
            switch info.st_mode & S_IFMT {
            case S_IFDIR: try walk(absolute, relative: path, into: &scan)
            case S_IFREG: scan.files.append(File(relativePath: path, absolutePath: absolute, mode: Int(info.st_mode & 0o7777)))
            default: scan.skipped.append(path)
            }
        }
    }
}

public enum MediaPath {
    /// A media index path is safe when it is relative and stays inside the folder.
    public static func isSafe(_ path: String) -> Bool {
        guard !path.isEmpty, !FilePath.isAbsolute(path), !path.unicodeScalars.contains("\\") else { return false }
        return FilePath.rawComponents(path).allSatisfy(FilePath.isPlainName)
    }
}
