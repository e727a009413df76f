import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Where restore may put a media folder: a folder (or nothing yet) that dpm can replace by
/// renames inside its parent. Checked before anything is written, so that a destination dpm
/// cannot swap never costs the database its content.
enum MediaDestination {
    static func check(_ path: String) throws {
        let trimmed = path.count > 1 && path.hasSuffix("/") ? String(path.dropLast()) : path
        let parent = parentFolder(of: trimmed)
        guard let parent, !trimmed.isEmpty, trimmed != "/" else {
            throw DPMError.invalidInput("The media folder \(path) cannot be replaced by dpm; give a folder inside another one, e.g. ./media.")
        }
        var info = stat()
        if lstat(trimmed, &info) == 0 {
            switch info.st_mode & S_IFMT {
            case S_IFDIR:
                break
            case S_IFLNK:
                throw DPMError.invalidInput("The media folder \(path) is a symbolic link; dpm replaces media folders by rename, so give the folder it points to instead.")
            default:
                throw DPMError.invalidInput("\(path) is not a folder; give --media-dir a folder or a path that does not exist yet (dpm never replaces a file with media, even with --force).")
            }
        }
        let existingParent = nearestExisting(parent)
        var parentInfo = stat()
        guard stat(existingParent, &parentInfo) == 0, parentInfo.st_mode & S_IFMT == S_IFDIR else {
            throw DPMError.invalidInput("The folder \(existingParent) above the media folder \(path) is not a folder; give a media folder inside a folder.")
        }
        guard access(existingParent, W_OK | X_OK) == 0 else {
            throw DPMError.permissionDenied("The folder \(existingParent) is not writable, so the media folder \(path) cannot be replaced there; make it writable or give another --media-dir.")
        }
        if lstat(trimmed, &info) == 0, info.st_dev != parentInfo.st_dev {
            throw DPMError.invalidInput("The media folder \(path) is a mount point (or on another file system than \(parent)); dpm replaces media folders by rename inside their parent, so give a folder on the same file system as its parent.")
        }
    }

    /// The folder that holds `path`, by plain string steps; nil for "/".
    static func parentFolder(of path: String) -> String? {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        if slash == path.startIndex { return path.count == 1 ? nil : "/" }
        return String(path[..<slash])
    }

    private static func nearestExisting(_ path: String) -> String {
        var current = path
        for _ in 0..<256 {
            var info = stat()
            if lstat(current, &info) == 0 { return current }
            guard let parent = parentFolder(of: current), parent != current else { return current }
            current = parent
        }
        return current
    }
}
