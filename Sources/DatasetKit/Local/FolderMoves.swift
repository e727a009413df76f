import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Folder steps for media swaps: renames (atomic, same file system) and plain copies.
enum FolderMoves {
    static func exists(_ path: String) -> Bool {
        var info = stat()
        return lstat(path, &info) == 0
    }

    /// Renames `from` to `to`, creating `to`'s parent first.
    static func move(_ from: String, to: String) throws {
        let parent = FilePath.parent(to)
        try createFolder(parent, purpose: "a dpm media folder", permissions: PrivateFiles.folderMode)
        if rename(from, to) != 0 {
            if errno == EXDEV {
                throw DPMError.invalidInput("Cannot move \(from) to \(to): they are on different file systems; dpm swaps media folders by rename, so keep the media folder on the same file system as the project's .dpm folder.")
            }
            throw fileError("move \(from) to", to)
        }
        AtomicFile.syncDirectory(parent)
    }

    static func remove(_ path: String) {
        try? FileManager.default.removeItem(atPath: path)
    }

    /// The device of the nearest existing folder at or above `path`.
    static func device(of path: String) -> UInt64? {
        var current = path
        for _ in 0..<64 {
            var info = stat()
            if stat(current, &info) == 0 { return UInt64(info.st_dev) }
            let parent = FilePath.parent(current)
            if parent == current { return nil }
            current = parent
        }
        return nil
    }

    /// Copies the regular files and folders under `source` into a new folder `destination`,
    /// keeping permission bits. The copy is the app's to change: never hard links. Missing
    /// folders above it are dpm's (under .dpm): owner-only.
    static func copy(_ source: String, to destination: String) throws {
        try createFolder(FilePath.parent(destination), purpose: "a dpm media folder", permissions: PrivateFiles.folderMode)
        try createFolder(destination, purpose: "a media copy", permissions: 0o755)
        let walker = FileManager.default.enumerator(atPath: source)
        while let relative = walker?.nextObject() as? String {
            let from = "\(source)/\(relative)", to = "\(destination)/\(relative)"
            var info = stat()
            guard lstat(from, &info) == 0 else { throw fileError("read", from) }
            switch info.st_mode & S_IFMT {
            case S_IFDIR:
                try createFolder(to, purpose: "a media copy", permissions: info.st_mode & 0o7777)
            case S_IFREG:
                try copyFile(from, to: to, mode: info.st_mode & 0o7777)
            default:
                continue
            }
        }
    }

    private static func copyFile(_ from: String, to: String, mode: mode_t) throws {
        let input = open(from, O_RDONLY | O_CLOEXEC)
        guard input >= 0 else { throw fileError("read", from) }
        defer { close(input) }
        let output = open(to, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode)
        guard output >= 0 else { throw fileError("create", to) }
        defer { close(output) }
        var buffer = [UInt8](repeating: 0, count: 1 << 20)
        while true {
            let count = buffer.withUnsafeMutableBytes { read(input, $0.baseAddress, $0.count) }
            if count < 0 { if errno == EINTR { continue }; throw fileError("read", from) }
            if count == 0 { break }
            var written = 0
            while written < count {
                let result = buffer.withUnsafeBytes { write(output, $0.baseAddress! + written, count - written) }
                if result < 0 { if errno == EINTR { continue }; throw fileError("write", to) }
                written += result
            }
        }
        fchmod(output, mode)
    }
}
