import Foundation

public enum FileSize {
    /// The size of the file at `path` in bytes; 0 when it cannot be read (a progress total or
    /// a work order, never a check: the reading that follows reports the file's problem).
    public static func of(_ path: String) -> Int64 {
        (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int64) ?? 0
    }
}
