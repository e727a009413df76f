import Foundation

/// Starts child processes so that they die with dpm, even with a SIGKILL: through util-linux's
/// `setpriv --pdeathsig KILL`, which the kernel honours when the thread that started the child
/// ends. Every caller waits for its child on the thread that started it. Without setpriv,
/// children start as they are.
enum DyingWithParent {
    private static let setpriv: String? = ["/usr/bin/setpriv", "/bin/setpriv"].first { FileManager.default.isExecutableFile(atPath: $0) }

    /// The executable and arguments that run `path arguments` this way.
    static func command(_ path: String, _ arguments: [String]) -> (executable: String, arguments: [String]) {
        guard let setpriv else { return (path, arguments) }
        return (setpriv, ["--pdeathsig", "KILL", "--", path] + arguments)
    }
}
