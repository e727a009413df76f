@testable import DatasetKit
import Foundation

/// git itself, run in a folder with a fixed author.
struct RealGit: GitRunner {
    func run(_ arguments: [String], input: Data?, in directory: String) throws -> GitOutput {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["git", "-c", "user.email=tests@example.com", "-c", "user.name=dpm tests", "-c", "init.defaultBranch=main"] + arguments
        process.currentDirectoryURL = URL(fileURLWithPath: directory)
        process.environment = ProcessInfo.processInfo.environment.merging(["LC_ALL": "C"]) { $1 }
        let output = NSTemporaryDirectory() + "dpm-git-\(UUID().uuidString)"
        for suffix in [".0", ".1", ".2"] { _ = FileManager.default.createFile(atPath: output + suffix, contents: suffix == ".0" ? input ?? Data() : nil) }
        defer { for suffix in [".0", ".1", ".2"] { try? FileManager.default.removeItem(atPath: output + suffix) } }
        process.standardInput = FileHandle(forReadingAtPath: output + ".0")
        process.standardOutput = FileHandle(forWritingAtPath: output + ".1")
        process.standardError = FileHandle(forWritingAtPath: output + ".2")
        try process.run()
        process.waitUntilExit()
        return GitOutput(status: process.terminationStatus, stdout: FileManager.default.contents(atPath: output + ".1") ?? Data(),
                         stderr: String(decoding: FileManager.default.contents(atPath: output + ".2") ?? Data(), as: UTF8.self))
    }

    func check(_ arguments: [String], in directory: String) throws {
        let result = try run(arguments, input: nil, in: directory)
        guard result.status == 0 else { throw DPMError.internal("git \(arguments) failed: \(result.stderr)") }
    }
}
