import Foundation

/// What a git command printed and how it ended.
public struct GitOutput: Sendable {
    public let status: Int32
    public let stdout: Data
    public let stderr: String

    public init(status: Int32, stdout: Data, stderr: String) {
        self.status = status
        self.stdout = stdout
        self.stderr = stderr
    }
}

/// Runs `git` for the history of manifests; the domain decides the arguments and reads the output.
public protocol GitRunner: Sendable {
    /// Runs git with `arguments` in `directory`, `input` on its standard input. Throws only
    /// when git cannot be started at all (not installed); a failing git is a non-zero status.
    func run(_ arguments: [String], input: Data?, in directory: String) throws -> GitOutput
}
