import DatasetKit
import Foundation

/// File systems that fail the way real disks do, for tests that must see what a user sees
/// when a folder is read-only or a disk is full. Root ignores permission bits, so only a
/// read-only mount or a full tmpfs makes the system refuse. Needs root (shell/test.sh runs
/// as root in CI).
final class TestMounts {
    private var mounted: [String] = []

    /// `path` (an existing folder) seen read-only from now on.
    func makeReadOnly(_ path: String) throws {
        try run("mount", ["--bind", path, path])
        mounted.append(path)
        try run("mount", ["-o", "remount,bind,ro", path])
    }

    /// A new empty read-only folder.
    func readOnlyFolder() throws -> String {
        let path = try newFolder("ro")
        try run("mount", ["-t", "tmpfs", "-o", "ro,size=1m", "tmpfs", path])
        mounted.append(path)
        return path
    }

    /// A new folder on a file system of `bytes`, holding a copy of `seed` (if given) and then
    /// filled up, so that the next write fails with "No space left on device".
    func fullFolder(bytes: Int, seed: (source: String, name: String)? = nil) throws -> String {
        let path = try newFolder("full")
        try run("mount", ["-t", "tmpfs", "-o", "size=\(bytes)", "tmpfs", path])
        mounted.append(path)
        if let seed { try run("cp", ["-a", seed.source, "\(path)/\(seed.name)"]) }
        // dd stops at the first failed write: the disk is full.
        _ = try? run("dd", ["if=/dev/zero", "of=\(path)/filler", "bs=4k"])
        return path
    }

    /// A new empty folder on a file system of `bytes`.
    func smallFolder(bytes: Int) throws -> String {
        let path = try newFolder("small")
        try run("mount", ["-t", "tmpfs", "-o", "size=\(bytes)", "tmpfs", path])
        mounted.append(path)
        return path
    }

    func unmountAll() {
        for path in mounted.reversed() { _ = try? run("umount", ["-l", path]) }
        mounted.removeAll()
    }

    private func newFolder(_ label: String) throws -> String {
        let path = "/tmp/dpm-mount-\(label)-\(randomSuffix())"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    private func run(_ tool: String, _ arguments: [String]) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [tool] + arguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw DPMError.internal("\(tool) \(arguments.joined(separator: " ")) failed with exit \(process.terminationStatus) (these tests need root and mount).")
        }
    }
}
