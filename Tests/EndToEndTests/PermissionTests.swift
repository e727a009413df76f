import DatasetKit
import Foundation
import ObjectStore
import XCTest

/// Under a umask of 022, what holds the user's data outside the app's own folders is
/// owner-only: the PostgreSQL tools' output files, .dpm and dpm's folders and files in it,
/// and the download cache. Media the app owns keeps the bits the snapshot recorded.
final class PermissionTests: XCTestCase {
    private var harness: Harness!
    private var savedUmask: mode_t = 0

    override func setUpWithError() throws {
        savedUmask = umask(0o022)
        harness = try Harness()
    }

    override func tearDown() {
        harness?.tearDown()
        umask(savedUmask)
    }

    private func mode(_ path: String) -> mode_t? {
        var info = stat()
        return lstat(path, &info) == 0 ? info.st_mode & 0o7777 : nil
    }

    private func octal(_ mode: mode_t?) -> String { mode.map { String($0, radix: 8) } ?? "missing" }

    /// The folder of the PostgreSQL client tools this machine has.
    private func realToolFolder() throws -> String {
        let versions = try FileManager.default.contentsOfDirectory(atPath: "/usr/lib/postgresql").compactMap(Int.init).sorted()
        return try XCTUnwrap(versions.last.map { "/usr/lib/postgresql/\($0)/bin" }, "no PostgreSQL client tools")
    }

    /// pg_dump writes `--data-only` rows to a file dpm reads back: wrappers around the real
    /// tools record the modes of their output files and folder the moment they run.
    func testToolOutputFilesAreOwnerOnlyWhenTheToolWritesThem() throws {
        try Fixture.create(in: harness)
        let real = try realToolFolder()
        let wrappers = "\(harness.root)/wrappers", log = "\(harness.root)/modes.log", temporary = "\(harness.root)/tmp"
        try FileManager.default.createDirectory(atPath: wrappers, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: temporary, withIntermediateDirectories: true)
        for tool in ["pg_dump", "pg_restore", "psql"] {
            let script = """
            #!/bin/sh
            for fd in 1 2; do
              target=$(readlink /proc/$$/fd/$fd)
              case "$target" in
                */dpm-tool-*) echo "$(stat -c %a "$target") $(stat -c %a "$(dirname "$target")") $target" >> '\(log)' ;;
              esac
            done
            exec '\(real)/\(tool)' "$@"
            """
            try harness.write(script, to: "wrappers/\(tool)")
            chmod("\(wrappers)/\(tool)", 0o755)
        }

        let upload = harness.dpm("upload", "clean-db", environment: ["DPM_PG_BIN": wrappers, "TMPDIR": temporary])
        XCTAssertEqual(upload.status, 0, upload.stderr)
        XCTAssertTrue(FileManager.default.contents(atPath: "\(harness.root)/db/migration-base/clean-db/data.sql")
            .map { String(decoding: $0, as: UTF8.self).contains("COPY public.accounts") } ?? false, "the data came through pg_dump --data-only")
        let lines = (try? String(contentsOfFile: log, encoding: .utf8))?.split(separator: "\n") ?? []
        XCTAssertTrue(lines.contains { $0.hasSuffix("/stdout") }, "the tools wrote captured output: \(lines)")
        for line in lines {
            XCTAssertTrue(line.hasPrefix("600 700 "), "a tool's output file and its folder are owner-only: \(line)")
        }
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: temporary), [], "the tool output is gone afterwards")
    }

    /// Every folder and file dpm makes for itself under .dpm is owner-only; the media trees
    /// inside (the app's media, stashed or cached) keep their own bits, and the store's
    /// layout is the store's. An older, group-readable .dpm is tightened.
    func testDotDpmAndEverythingDpmKeepsInItAreOwnerOnly() throws {
        try Fixture.create(in: harness)
        try Fixture.createMedia(in: harness)
        let state = "\(harness.root)/.dpm"
        try FileManager.default.createDirectory(atPath: state, withIntermediateDirectories: true)
        chmod(state, 0o755)
        let localMedia = Self.fingerprint(harness.media)
        harness.dpm("profile", "create", "ug", "--kind", "shared")
        XCTAssertEqual(harness.dpm("upload", "ug").status, 0)
        XCTAssertEqual(octal(mode(state)), "700")
        try harness.write("local", to: "media/local.txt")
        let withLocal = Self.fingerprint(harness.media)
        let use = harness.dpm("use", "ug")
        XCTAssertEqual(use.status, 0, use.stderr)
        XCTAssertEqual(Self.fingerprint(harness.media), localMedia, "the app's media has the recorded bits")
        XCTAssertEqual(harness.dpm("attach", "ug").status, 0)
        XCTAssertEqual(harness.dpm("cache", "refill").status, 0)

        var checked = 0
        let walker = FileManager.default.enumerator(atPath: state)
        while let relative = walker?.nextObject() as? String {
            let parts = FilePath.components(relative)
            if Self.isMediaTree(parts) { walker?.skipDescendants(); continue }
            let path = "\(state)/\(relative)"
            var isFolder: ObjCBool = false
            _ = FileManager.default.fileExists(atPath: path, isDirectory: &isFolder)
            XCTAssertEqual(octal(mode(path)), isFolder.boolValue ? "700" : "600", ".dpm/\(relative)")
            checked += 1
        }
        for expected in ["state.json", "lock", "media", "media/ug", "stash", "attached", "attached/\(harness.database)__ug"] {
            XCTAssertNotNil(mode("\(state)/\(expected)"), "\(expected) exists, so it was checked")
        }
        XCTAssertGreaterThan(checked, 8)

        let stash = try XCTUnwrap(try FileManager.default.contentsOfDirectory(atPath: "\(state)/stash").first)
        XCTAssertEqual(Self.fingerprint("\(state)/stash/\(stash)/media"), withLocal, "stashed media keeps the app's bits")
    }

    func testTheDownloadCacheIsOwnerOnly() throws {
        let cache = harness.root + "/cache"
        let environment = try TestBucket(prefix: "app", cache: cache).environment
        try Fixture.create(in: harness)
        try Fixture.createMedia(in: harness)
        harness.dpm("profile", "create", "ug", "--kind", "shared")
        XCTAssertEqual(harness.dpm("upload", "ug", environment: environment).status, 0)
        let restore = harness.dpm("restore", "ug", "--into", harness.prefix + "_copy", environment: environment)
        XCTAssertEqual(restore.status, 0, restore.stderr)

        var objects = 0
        XCTAssertEqual(octal(mode(cache)), "700")
        let walker = FileManager.default.enumerator(atPath: cache)
        while let relative = walker?.nextObject() as? String {
            let path = "\(cache)/\(relative)"
            var isFolder: ObjCBool = false
            _ = FileManager.default.fileExists(atPath: path, isDirectory: &isFolder)
            XCTAssertEqual(octal(mode(path)), isFolder.boolValue ? "700" : "600", "cache/\(relative)")
            if !isFolder.boolValue { objects += 1 }
        }
        XCTAssertGreaterThan(objects, 4, "the restore filled the cache")
    }

    /// stash/<id>/media, attached/<db>/media, media/<profile>/<snapshot>/{template,spare}
    /// and the store: not dpm's own files.
    private static func isMediaTree(_ parts: [String]) -> Bool {
        switch parts.first {
        case "store": return true
        case "stash", "attached": return parts.count >= 3
        case "media": return parts.count >= 4 || (parts.count == 2 && parts[1].hasPrefix("incoming-"))
        default: return false
        }
    }

    private static func fingerprint(_ folder: String) -> [String: String] { MediaNameTests.fingerprint(folder) }
}
