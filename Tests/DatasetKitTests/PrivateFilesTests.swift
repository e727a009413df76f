import DatasetKit
import Foundation
import XCTest

/// The helpers that make scratch folders and tool output files set owner-only modes
/// themselves, whatever the umask.
final class PrivateFilesTests: XCTestCase {
    private var base = ""

    override func setUpWithError() throws {
        base = NSTemporaryDirectory() + "dpm-private-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: base, withIntermediateDirectories: true)
    }

    override func tearDown() { try? FileManager.default.removeItem(atPath: base) }

    private func mode(_ path: String) -> mode_t {
        var info = stat()
        XCTAssertEqual(lstat(path, &info), 0, path)
        return info.st_mode & 0o7777
    }

    func testScratchFoldersAndFilesAreOwnerOnlyUnderAnyUmask() throws {
        for mask: mode_t in [0o000, 0o022, 0o077, 0o700] {
            let saved = umask(mask)
            defer { umask(saved) }
            let folder = try PrivateFiles.makeScratchFolder(in: base, prefix: "dpm-tool")
            XCTAssertTrue(FilePath.lastComponent(folder).hasPrefix("dpm-tool-"))
            XCTAssertEqual(mode(folder), 0o700, "umask \(String(mask, radix: 8))")
            try PrivateFiles.createFile("\(folder)/stdout")
            XCTAssertEqual(mode("\(folder)/stdout"), 0o600, "umask \(String(mask, radix: 8))")
            XCTAssertThrowsError(try PrivateFiles.createFile("\(folder)/stdout"), "an existing file is never reused")
        }
    }

    func testScratchFolderNamesAreNewEachTime() throws {
        let first = try PrivateFiles.makeScratchFolder(in: base, prefix: "dpm-x")
        let second = try PrivateFiles.makeScratchFolder(in: base, prefix: "dpm-x")
        XCTAssertNotEqual(first, second)
        XCTAssertThrowsError(try PrivateFiles.makeScratchFolder(in: "\(base)/missing", prefix: "dpm-x")) {
            XCTAssertEqual($0.userMessage, "Cannot create a scratch folder in \(self.base)/missing: No such file or directory.")
        }
    }

    func testMakeFolderTightensAnExistingFolder() throws {
        let folder = "\(base)/.dpm"
        XCTAssertEqual(mkdir(folder, 0o755), 0)
        chmod(folder, 0o755)
        try PrivateFiles.makeFolder(folder, purpose: "dpm's local state folder")
        XCTAssertEqual(mode(folder), 0o700)
        try PrivateFiles.makeFolder("\(base)/new/deeper", purpose: "the download cache")
        XCTAssertEqual(mode("\(base)/new"), 0o700)
        XCTAssertEqual(mode("\(base)/new/deeper"), 0o700)
    }
}
