import Foundation

public enum FileSize {
    /// The size of the file at `path` in bytes; 0 when it cannot be read (a progress total or
    /// a work order, never a check: the reading that follows reports the file's problem).
    /// A symbolic link gives the size of the file it points to, which is what reading it reads.
    public static func of(_ path: String) -> Int64 {
        var status = stat()
        return stat(path, &status) == 0 ? Int64(status.st_size) : 0
    }
}
