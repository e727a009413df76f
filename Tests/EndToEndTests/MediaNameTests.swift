import DatasetKit
import Foundation
import XCTest

/// Media files with names of every shape go through upload → restore, use and attach byte
/// for byte with their permission bits, and a failing restore leaves nothing behind.
final class MediaNameTests: XCTestCase {
    private var harness: Harness!

    override func setUpWithError() throws { harness = try Harness() }
    override func tearDown() { harness?.tearDown() }

    /// Relative path → content and permission bits, walked with readdir(3) so that no name
    /// is skipped or changed on the way (dot files included).
    static func fingerprint(_ folder: String) -> [String: String] {
        var result: [String: String] = [:]
        func walk(_ directory: String, _ relative: String) {
            guard let stream = opendir(directory) else { return }
            defer { closedir(stream) }
            while let entry = readdir(stream) {
                let name = withUnsafeBytes(of: entry.pointee.d_name) { String(cString: $0.bindMemory(to: CChar.self).baseAddress!) }
                if name == "." || name == ".." { continue }
                let path = "\(directory)/\(name)", key = relative.isEmpty ? name : "\(relative)/\(name)"
                var info = stat()
                guard lstat(path, &info) == 0 else { continue }
                if info.st_mode & S_IFMT == S_IFDIR {
                    walk(path, key)
                } else {
                    result[key] = SHA256Hex.of(FileManager.default.contents(atPath: path) ?? Data()) + String(format: " %o", info.st_mode & 0o7777)
                }
            }
        }
        walk(folder, "")
        return result
    }

    /// Every shape of name the issue lists, with a spread of permission bits.
    private func createOddMedia() throws -> [String: String] {
        let deep = (1...20).map { String(format: "d%02d", $0) }.joined(separator: "/")
        let files: [(String, String, mode_t)] = [
            ("x", "one character at the top", 0o644),
            ("é", "accented", 0o664),
            ("数据", "CJK", 0o640),
            ("with space", "spaces", 0o600),
            ("-dash", "leading dash", 0o755),
            (".hidden", "leading dot", 0o644),
            ("new\nline", "newline in the name", 0o444),
            (String(repeating: "数", count: 85), "255 bytes of name", 0o644),
            ("\(deep)/deep.txt", "twenty folders deep", 0o660),
            ("y/z", "one character folder and file", 0o700),
        ]
        for (path, content, mode) in files {
            try harness.write(content, to: "media/\(path)")
            XCTAssertEqual(chmod("\(harness.media)/\(path)", mode), 0, path)
        }
        XCTAssertEqual(String(repeating: "数", count: 85).utf8.count, 255)
        let fingerprint = Self.fingerprint(harness.media)
        XCTAssertEqual(fingerprint.count, files.count)
        return fingerprint
    }

    private func uploadOddMedia() throws -> [String: String] {
        try Fixture.create(in: harness)
        let media = try createOddMedia()
        XCTAssertEqual(harness.dpm("profile", "create", "p", "--kind", "shared").status, 0)
        let upload = harness.dpm("upload", "p")
        XCTAssertEqual(upload.status, 0, upload.stderr)
        XCTAssertFalse(upload.stderr.contains("Skipped"), "every name is stored, the leading-dot one too: \(upload.stderr)")
        return media
    }

    /// The reproduction: a one-character name at the top of the media folder.
    func testOneCharacterNameRestoresIntoAMediaDir() throws {
        try Fixture.create(in: harness)
        try harness.write("1\n", to: "media/x")
        XCTAssertEqual(harness.dpm("profile", "create", "p", "--kind", "shared").status, 0)
        XCTAssertEqual(harness.dpm("upload", "p").status, 0)
        let copy = harness.prefix + "_c", target = "\(harness.root)/some/dir"
        let restore = harness.dpm("restore", "p", "--into", copy, "--media-dir", target)
        XCTAssertEqual(restore.status, 0, restore.stderr)
        XCTAssertEqual(FileManager.default.contents(atPath: "\(target)/x"), Data("1\n".utf8))
        XCTAssertEqual(try harness.databases().sorted(), [harness.database, copy].sorted())
    }

    /// Media files that are themselves compressed (`.zst` and `.gz` exports, one packed, the
    /// others chunked) are stored and restored as the bytes they are: zstd's decoder
    /// decompresses the store's own frame only, never the content inside it.
    func testCompressedMediaFilesRoundTripAsTheyAre() throws {
        try Fixture.create(in: harness)
        try FileManager.default.createDirectory(atPath: "\(harness.media)/exports", withIntermediateDirectories: true)
        let text = harness.command("sh", ["-c", "seq 1 400000 | awk '{ print \"line\", $1, ($1 * 7919) % 10007 }' > '\(harness.media)/exports/all.txt'"])
        XCTAssertEqual(text.status, 0, text.stderr)
        for (tool, arguments) in [("zstd", ["-q", "--keep", "-o", "all.txt.zst", "all.txt"]),
                                  ("gzip", ["--keep", "all.txt"])] {
            let made = harness.command("sh", ["-c", "cd '\(harness.media)/exports' && \(tool) " + arguments.joined(separator: " ")])
            XCTAssertEqual(made.status, 0, made.stderr)
        }
        let small = harness.command("sh", ["-c", "cd '\(harness.media)/exports' && head -c 4000 all.txt | zstd -q -o small.zst"])
        XCTAssertEqual(small.status, 0, small.stderr)
        try FileManager.default.removeItem(atPath: "\(harness.media)/exports/all.txt")
        let media = Self.fingerprint(harness.media)
        XCTAssertEqual(media.keys.filter { $0.hasPrefix("exports/") }.sorted(), ["exports/all.txt.gz", "exports/all.txt.zst", "exports/small.zst"])
        XCTAssertEqual(harness.dpm("profile", "create", "p", "--kind", "shared").status, 0)
        let upload = harness.dpm("upload", "p")
        XCTAssertEqual(upload.status, 0, upload.stderr)
        let target = "\(harness.root)/restored/media"
        let restore = harness.dpm("restore", "p", "--into", harness.prefix + "_copy", "--media-dir", target)
        XCTAssertEqual(restore.status, 0, restore.stderr)
        XCTAssertEqual(Self.fingerprint(target), media)
    }

    func testNamesOfEveryShapeRoundTripThroughRestore() throws {
        let media = try uploadOddMedia()
        let copy = harness.prefix + "_copy", target = "\(harness.root)/restored/media"
        let restore = harness.dpm("restore", "p", "--into", copy, "--media-dir", target)
        XCTAssertEqual(restore.status, 0, restore.stderr)
        XCTAssertEqual(Self.fingerprint(target), media)

        // Into the working database, replacing its media folder.
        try harness.write("local", to: "media/local-only")
        let forced = harness.dpm("restore", "p", "--force")
        XCTAssertEqual(forced.status, 0, forced.stderr)
        XCTAssertEqual(Self.fingerprint(harness.media), media)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: harness.root).filter { $0.contains("dpm-") }, [],
                       "no staging or retired media folders left")
    }

    func testNamesOfEveryShapeRoundTripThroughUseUndoAndAttach() throws {
        let media = try uploadOddMedia()
        try FileManager.default.removeItem(atPath: harness.media)
        try harness.write("local", to: "media/x")

        let use = harness.dpm("use", "p")
        XCTAssertEqual(use.status, 0, use.stderr)
        XCTAssertEqual(Self.fingerprint(harness.media), media, "use brings the snapshot's media")
        let undo = harness.dpm("undo")
        XCTAssertEqual(undo.status, 0, undo.stderr)
        XCTAssertEqual(Self.fingerprint(harness.media).keys.sorted(), ["x"], "undo brings the local media back")
        let again = harness.dpm("use", "p")
        XCTAssertEqual(again.status, 0, again.stderr)
        XCTAssertEqual(Self.fingerprint(harness.media), media, "the second use copies the cached template media")

        let attach = harness.dpm("attach", "p")
        XCTAssertEqual(attach.status, 0, attach.stderr)
        let attached = harness.database + "__p"
        XCTAssertEqual(Self.fingerprint("\(harness.root)/.dpm/attached/\(attached)/media"), media)
        XCTAssertEqual(harness.dpm("detach", "p").status, 0)
        XCTAssertFalse(FileManager.default.fileExists(atPath: "\(harness.root)/.dpm/attached/\(attached)"))
    }

    /// A restore that fails while writing media (a corrupt object) says so in one sentence
    /// and leaves no database and no staging folder.
    func testFailedMediaRestoreLeavesNoDatabaseOrStagingFolder() throws {
        _ = try uploadOddMedia()
        let sha = SHA256Hex.of(Data("twenty folders deep".utf8))
        // Its bytes (in a pack) replaced by as many others, so that the check before the restore
        // lets it through and the failure comes while media is being written.
        let (object, range) = try LocalStoreAccess.storedBytes(of: sha, in: harness.store)
        var bytes = try Data(contentsOf: URL(fileURLWithPath: object))
        bytes.replaceSubrange(range, with: Data(repeating: 0x21, count: range.count))
        try bytes.write(to: URL(fileURLWithPath: object))

        let copy = harness.prefix + "_copy", parent = "\(harness.root)/restored"
        try FileManager.default.createDirectory(atPath: parent, withIntermediateDirectories: true)
        let restore = harness.dpm("restore", "p", "--into", copy, "--media-dir", "\(parent)/media")
        XCTAssertNotEqual(restore.status, 0)
        XCTAssertTrue(restore.stderr.hasPrefix("error: ") && restore.stderr.contains("is corrupt"), restore.stderr)
        XCTAssertEqual(restore.stderr.filter { $0 == "\n" }.count, 1, restore.stderr)
        XCTAssertEqual(try harness.databases(), [harness.database], "no restore database left")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: parent), [], "no staging folder left")

        let use = harness.dpm("use", "p")
        XCTAssertNotEqual(use.status, 0)
        XCTAssertTrue(use.stderr.contains("is corrupt"), use.stderr)
        XCTAssertFalse(try harness.databases().contains { $0.contains("__dpm_") }, "no building database left")
        let cache = "\(harness.root)/.dpm/media/p"
        let leftovers = FileManager.default.subpaths(atPath: cache)?.filter { $0.contains("dpm-staging") } ?? []
        XCTAssertEqual(leftovers, [], "no staging folder left in the media cache")
    }
}
