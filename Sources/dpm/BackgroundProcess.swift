import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Starts this executable again as a background process in its own session: it survives
/// the terminal closing and Ctrl-C, and holds none of our pipes (so a caller waiting for
/// our output is not kept waiting for it).
enum BackgroundProcess {
    static func start(arguments: [String], log: String) {
        guard let executable = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") else { return }
        // Keep the log small: it is only for finding out why a refill failed.
        if let size = (try? FileManager.default.attributesOfItem(atPath: log))?[.size] as? Int, size > 1 << 20 { truncate(log, 0) }

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, log, O_WRONLY | O_CREAT | O_APPEND, 0o600)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        _ = spawnAddCloseFrom(&actions, 3)

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        posix_spawnattr_setflags(&attributes, spawnSetSID)

        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var pid = pid_t()
        _ = posix_spawn(&pid, executable, &actions, &attributes, argv, environ)
    }
}

// GNU extensions the Glibc module does not expose (they need _GNU_SOURCE); glibc 2.34+.
private let spawnSetSID: Int16 = 0x80

@_silgen_name("posix_spawn_file_actions_addclosefrom_np")
private func spawnAddCloseFrom(_ actions: UnsafeMutablePointer<posix_spawn_file_actions_t>, _ from: Int32) -> Int32
