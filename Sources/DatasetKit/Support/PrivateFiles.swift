import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Files and folders that hold the user's data outside the project (tool output with table
/// rows, dumps, cached objects) or dpm's own state: readable by the owner only, whatever
/// the umask. `open` and `mkdir` apply the umask to the mode they are given, so each is set
/// again explicitly.
public enum PrivateFiles {
    public static let folderMode: mode_t = 0o700
    public static let fileMode: mode_t = 0o600

    /// Makes a new folder `<base>/<prefix>-<random>` (0700) that did not exist before, as
    /// mkdtemp(3) does: a name someone else made first in a shared temporary folder is
    /// never taken over.
    public static func makeScratchFolder(in base: String, prefix: String, purpose: String = "a scratch folder") throws -> String {
        var code: Int32 = 0
        for _ in 0..<16 {
            let path = FilePath.join(base, "\(prefix)-\(randomSuffix())")
            if mkdir(path, folderMode) == 0 {
                guard chmod(path, folderMode) == 0 else {
                    let failure = errno
                    rmdir(path)
                    throw DPMError.systemCall("Cannot create \(purpose) \(path)", errorNumber: failure)
                }
                return path
            }
            code = errno
            if code != EEXIST { break }
        }
        throw DPMError.systemCall("Cannot create \(purpose) in \(base)", errorNumber: code)
    }

    /// Creates the empty file `path` (0600); fails if it exists.
    public static func createFile(_ path: String) throws {
        let descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, fileMode)
        guard descriptor >= 0 else { throw fileError("create", path) }
        defer { close(descriptor) }
        guard fchmod(descriptor, fileMode) == 0 else { throw fileError("set the permissions of", path) }
    }

    /// Creates `path` and missing parents as 0700, and makes an existing `path` 0700 too
    /// (a folder an older dpm made with the umask's bits).
    public static func makeFolder(_ path: String, purpose: String) throws {
        try createFolder(path, purpose: purpose, permissions: folderMode)
        var info = stat()
        guard stat(path, &info) == 0 else { throw fileError("read", path) }
        if info.st_mode & 0o7777 != folderMode, chmod(path, folderMode) != 0 { throw fileError("set the permissions of", path) }
    }
}
