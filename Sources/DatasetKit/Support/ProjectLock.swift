import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// An exclusive `flock` on a file under `.dpm/`. The kernel releases it when the process
/// dies, so a killed dpm never leaves a stale lock behind.
public final class ProjectLock: @unchecked Sendable {
    private let descriptor: Int32

    private init(descriptor: Int32) {
        self.descriptor = descriptor
    }

    deinit {
        flock(descriptor, LOCK_UN)
        close(descriptor)
    }

    /// Takes the lock, waiting up to `timeout` seconds; `waiting` is called once if that takes over a second.
    public static func acquire(_ path: String, timeout: TimeInterval = 600, waiting: () -> Void = {}) throws -> ProjectLock {
        try createFolder(FilePath.parent(path), purpose: "dpm's local state folder", permissions: 0o700)
        let descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw fileError("open the lock file", path) }
        let started = Date()
        var told = false
        while Date().timeIntervalSince(started) < timeout {
            if flock(descriptor, LOCK_EX | LOCK_NB) == 0 { return ProjectLock(descriptor: descriptor) }
            // Short waits (a background refill renaming a spare) are not worth a message.
            if !told, Date().timeIntervalSince(started) > 1 {
                waiting()
                told = true
            }
            usleep(20_000)
        }
        close(descriptor)
        throw DPMError.conflict("Another dpm command has held \(path) for \(Int(timeout)) seconds; wait for it to finish and try again.")
    }
}
