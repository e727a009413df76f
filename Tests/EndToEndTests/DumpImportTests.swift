import DatasetKit
import Foundation
import XCTest

/// `dpm upload --from-dump`: real pg_dump files of the fixture database in every format,
/// imported, restored and compared with the source; and every dump dpm must refuse.
final class DumpImportTests: XCTestCase {
    private var harness: Harness!
    private var source: String { harness.prefix + "_src" }
    private var dumps: String { "\(harness.root)/dumps" }

    override func setUpWithError() throws {
        harness = try Harness()
        try Fixture.create(in: harness, database: source)
        XCTAssertEqual(harness.dpm("profile", "create", "imp", "--kind", "shared").status, 0)
        try FileManager.default.createDirectory(atPath: dumps, withIntermediateDirectories: true)
    }

    override func tearDown() { harness?.tearDown() }

    /// Runs the real pg_dump on `database` into `dumps/name`.
    @discardableResult
    private func pgDump(_ options: [String], to name: String, database: String? = nil) throws -> String {
        let path = "\(dumps)/\(name)"
        let run = harness.command("pg_dump", options + ["--file=\(path)", "--dbname=\(database ?? source)"])
        guard run.status == 0 else { throw DPMError.internal("pg_dump failed: \(run.stderr)") }
        return path
    }

    /// Compresses `path` with a real gzip or zstd, keeping the original.
    private func compress(_ path: String, with tool: String) throws -> String {
        let run = harness.command(tool, ["-q", "-k", path])
        guard run.status == 0 else { throw DPMError.internal("\(tool) failed: \(run.stderr)") }
        return path + (tool == "gzip" ? ".gz" : ".zst")
    }

    private func manifest() throws -> Snapshot {
        try CanonicalJSON.decode(Snapshot.self, from: XCTUnwrap(harness.read("profiles/imp/manifest.json")), what: "manifest")
    }

    /// The scratch folders dpm makes in TMPDIR for an import (none may stay).
    private func scratchFolders() throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: NSTemporaryDirectory())
            .filter { $0.hasPrefix("dpm-import-") || $0.hasPrefix("dpm-sanitize-") || $0.hasPrefix("dpm-tool-") }
    }

    /// Uploads `path` with --from-dump, restores the snapshot into a new database, and checks
    /// that it holds what the source holds and that no scratch database or folder stayed.
    @discardableResult
    private func importAndCompare(_ path: String, restoreInto copy: String) throws -> DumpOrigin {
        let upload = harness.dpm("upload", "imp", "--from-dump", path, "--no-media")
        XCTAssertEqual(upload.status, 0, upload.stderr)
        XCTAssertTrue(upload.stdout.contains("4 tables, 2803 rows"), upload.stdout)
        let snapshot = try manifest()
        let restore = harness.dpm("restore", "imp", "--into", copy)
        XCTAssertEqual(restore.status, 0, restore.stderr)
        XCTAssertEqual(try harness.contentDigest(of: copy), try harness.contentDigest(of: source))
        let totals = "SELECT count(*) || ':' || sum(amount) || ':' || md5(string_agg(note, ',' ORDER BY id)) FROM orders"
        XCTAssertEqual(try harness.psql(totals, in: copy), try harness.psql(totals, in: source))
        XCTAssertEqual(Set(try harness.databases()), [source, copy], "no scratch database left")
        XCTAssertEqual(try scratchFolders(), [], "no scratch folder left")
        let size = try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int64
        let origin = try XCTUnwrap(snapshot.source.dump)
        XCTAssertEqual(origin.file, FilePath.lastComponent(path))
        var isFolder: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isFolder), !isFolder.boolValue { XCTAssertEqual(origin.size, size) }
        XCTAssertTrue(origin.serverVersion?.hasPrefix(try harness.psql("SHOW server_version", in: source)) == true, "\(origin)")
        XCTAssertNotNil(origin.pgDumpVersion)
        return origin
    }

    private func assertArchiveHeader(_ origin: DumpOrigin, file: StaticString = #filePath, line: UInt = #line) throws {
        XCTAssertEqual(origin.database, source, file: file, line: line)
        XCTAssertEqual(try manifest().source.database, source, "the source is the dumped database", file: file, line: line)
        XCTAssertNotNil(origin.archiveVersion, file: file, line: line)
        // The header's time is the dumping machine's local clock, within minutes of now.
        let dumped = try XCTUnwrap(origin.dumpedAt, file: file, line: line)
        XCTAssertNotNil(dumped.range(of: #"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$"#, options: .regularExpression), dumped, file: file, line: line)
    }

    func testCustomFormatDump() throws {
        let origin = try importAndCompare(try pgDump(["--format=custom"], to: "nightly.dump"), restoreInto: harness.prefix + "_c")
        XCTAssertEqual(origin.format, "custom")
        XCTAssertNil(origin.compression)
        XCTAssertEqual(origin.dataCompression, "gzip")
        try assertArchiveHeader(origin)
    }

    func testZstdCompressedCustomDump() throws {
        let path = try compress(try pgDump(["--format=custom", "--compress=0"], to: "nightly.dump"), with: "zstd")
        let origin = try importAndCompare(path, restoreInto: harness.prefix + "_z")
        XCTAssertEqual(origin.format, "custom")
        XCTAssertEqual(origin.compression, "zstd")
        XCTAssertEqual(origin.dataCompression, "none")
        try assertArchiveHeader(origin)
    }

    func testACustomDumpPipedThroughGzip() throws {
        // `pg_dump -Fc | gzip`, as nightly backups are often made: pg_dump cannot seek back to
        // write the data offsets into a pipe, and the file is gzip-compressed as a whole.
        let path = "\(dumps)/nightly.dump.gz"
        let run = harness.command("sh", ["-c", "pg_dump --format=custom --dbname=\"$1\" | gzip > \"$2\"", "sh", source, path])
        XCTAssertEqual(run.status, 0, run.stderr)
        let origin = try importAndCompare(path, restoreInto: harness.prefix + "_pipe")
        XCTAssertEqual(origin.format, "custom")
        XCTAssertEqual(origin.compression, "gzip")
        try assertArchiveHeader(origin)
    }

    func testDirectoryFormatDump() throws {
        let path = try pgDump(["--format=directory", "--jobs=2"], to: "nightly")
        let origin = try importAndCompare(path, restoreInto: harness.prefix + "_d")
        XCTAssertEqual(origin.format, "directory")
        XCTAssertNil(origin.compression)
        let files = try FileManager.default.contentsOfDirectory(atPath: path)
        XCTAssertEqual(origin.size, try files.reduce(Int64(0)) { $0 + ((try FileManager.default.attributesOfItem(atPath: "\(path)/\($1)")[.size] as? Int64) ?? 0) })
        try assertArchiveHeader(origin)
    }

    func testPlainSQLDump() throws {
        let origin = try importAndCompare(try pgDump(["--format=plain"], to: "nightly.sql"), restoreInto: harness.prefix + "_p")
        XCTAssertEqual(origin.format, "plain")
        XCTAssertNil(origin.dumpedAt, "a plain dump's header has no time")
        XCTAssertEqual(try manifest().source.database, "nightly.sql", "a plain dump does not name its database")
    }

    func testGzipCompressedPlainDump() throws {
        let path = try compress(try pgDump(["--format=plain"], to: "nightly.sql"), with: "gzip")
        let renamed = "\(dumps)/backup-without-suffix"
        try FileManager.default.moveItem(atPath: path, toPath: renamed)
        let origin = try importAndCompare(renamed, restoreInto: harness.prefix + "_g")
        XCTAssertEqual(origin.format, "plain", "told by the content, not the name")
        XCTAssertEqual(origin.compression, "gzip")
    }

    func testTheDumpsEncodingIsKept() throws {
        let latin = harness.prefix + "_latin"
        try harness.psql("CREATE DATABASE \"\(latin)\" ENCODING 'LATIN1' LC_COLLATE 'C' LC_CTYPE 'C' TEMPLATE template0", in: "postgres")
        try harness.psql("CREATE TABLE people (id int PRIMARY KEY, name text); INSERT INTO people VALUES (1, 'Zoë Ångström'), (2, 'Ñandú')", in: latin)
        for (format, name) in [("custom", "latin.dump"), ("plain", "latin.sql")] {
            let upload = harness.dpm("upload", "imp", "--from-dump", try pgDump(["--format=\(format)"], to: name, database: latin), "--no-media")
            XCTAssertEqual(upload.status, 0, upload.stderr)
            XCTAssertEqual(try manifest().source.properties?.encoding, "LATIN1", format)
            let copy = harness.prefix + "_\(format)"
            XCTAssertEqual(harness.dpm("restore", "imp", "--into", copy).status, 0)
            XCTAssertEqual(try harness.psql("SELECT pg_encoding_to_char(encoding) FROM pg_database WHERE datname = '\(copy)'", in: "postgres"), "LATIN1")
            XCTAssertEqual(try harness.psql("SELECT string_agg(name, ',' ORDER BY id) FROM people", in: copy), "Zoë Ångström,Ñandú")
        }
    }

    func testAScratchDatabaseOfAKilledImportIsCleanedUp() throws {
        let path = try pgDump(["--format=plain"], to: "nightly.sql")
        let killed = harness.dpm(["upload", "imp", "--from-dump", path], environment: ["DPM_STOP_AT": "upload.scratch-ready"])
        XCTAssertNotEqual(killed.status, 0)
        let left = try harness.databases().filter { $0 != source }
        XCTAssertEqual(left.count, 1, "the killed upload left its scratch database")
        XCTAssertTrue(left.first?.hasPrefix(harness.database + "__dpm_import_") == true, "\(left)")
        let cleanup = harness.dpm("cleanup")
        XCTAssertEqual(cleanup.status, 0, cleanup.stderr)
        XCTAssertEqual(try harness.databases(), [source])
        XCTAssertEqual(try scratchFolders(), [], "cleanup removed the import's scratch folder too")
        XCTAssertNil(harness.read("profiles/imp/manifest.json"))
    }

    // MARK: - Bad input: one sentence, exit 1, nothing stored, no scratch database or folder left.

    private func assertRefused(_ path: String, says expected: String, file: StaticString = #filePath, line: UInt = #line) throws {
        try harness.assertRefused(["upload", "imp", "--from-dump", path], says: expected, file: file, line: line)
        XCTAssertNil(harness.read("profiles/imp/manifest.json"), "no manifest", file: file, line: line)
        XCTAssertFalse(FileManager.default.fileExists(atPath: "\(harness.store)/snapshots/imp"), "no record", file: file, line: line)
        XCTAssertEqual(try scratchFolders(), [], "no scratch folder left", file: file, line: line)
    }

    func testAMissingPathIsRefused() throws {
        try assertRefused("\(dumps)/nightly.dump", says: "The dump \(dumps)/nightly.dump does not exist.")
    }

    func testFilesThatAreNoDumpsAreRefused() throws {
        try Data((0..<50_000).map { _ in UInt8.random(in: 0...255) }).write(to: URL(fileURLWithPath: "\(dumps)/random.dump"))
        try assertRefused("\(dumps)/random.dump", says: "random.dump is not a pg_dump dump")
        try harness.write(#"{"tables": ["accounts"], "rows": 301}"#, to: "dumps/export.json")
        try assertRefused("\(dumps)/export.json", says: "export.json is not a pg_dump dump")
        try harness.write("SELECT 1;\n", to: "dumps/handwritten.sql")
        try assertRefused("\(dumps)/handwritten.sql", says: "handwritten.sql is not a pg_dump dump")
        try FileManager.default.createDirectory(atPath: "\(dumps)/folder", withIntermediateDirectories: true)
        try assertRefused("\(dumps)/folder", says: "folder is a folder without a toc.dat")
        let all = harness.command("pg_dumpall", ["--schema-only", "--file=\(dumps)/cluster.sql"])
        XCTAssertEqual(all.status, 0, all.stderr)
        try assertRefused("\(dumps)/cluster.sql", says: "cluster.sql is a pg_dumpall dump of a whole server")
        try assertRefused(try pgDump(["--format=plain", "--create"], to: "create.sql"), says: "create.sql was made with pg_dump --create")
    }

    func testATruncatedCustomDumpNamesTheFile() throws {
        let path = try pgDump(["--format=custom"], to: "nightly.dump")
        let bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        try bytes.prefix(bytes.count / 2).write(to: URL(fileURLWithPath: "\(dumps)/half.dump"))
        try assertRefused("\(dumps)/half.dump", says: "The dump half.dump cannot be read: the data of public.")
    }

    func testADumpFromANewerPgDumpIsRefused() throws {
        // An archive version no pg_restore knows yet (the header's minor version byte), as a
        // future pg_dump would write.
        var bytes = try Data(contentsOf: URL(fileURLWithPath: try pgDump(["--format=custom"], to: "nightly.dump")))
        bytes[6] = 99
        try bytes.write(to: URL(fileURLWithPath: "\(dumps)/future.dump"))
        try assertRefused("\(dumps)/future.dump", says: "pg_restore cannot load the dump future.dump (archive version 1.99.0): unsupported version (1.99) in file header.")
    }

    func testACorruptOrTruncatedGzipIsRefused() throws {
        let path = try compress(try pgDump(["--format=plain"], to: "nightly.sql"), with: "gzip")
        var bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        XCTAssertGreaterThan(bytes.count, 20_000)
        try bytes.prefix(bytes.count / 2).write(to: URL(fileURLWithPath: "\(dumps)/half.sql.gz"))
        try assertRefused("\(dumps)/half.sql.gz", says: "half.sql.gz cannot be read: its gzip stream is damaged")
        for offset in stride(from: bytes.count / 2, to: bytes.count / 2 + 64, by: 1) { bytes[offset] ^= 0x5A }
        try bytes.write(to: URL(fileURLWithPath: "\(dumps)/corrupt.sql.gz"))
        try assertRefused("\(dumps)/corrupt.sql.gz", says: "corrupt.sql.gz cannot be read: its gzip stream is damaged")
    }

    func testAFailingPlainDumpNamesTheFileLineAndMessage() throws {
        let path = try pgDump(["--format=plain"], to: "nightly.sql")
        var lines = try String(contentsOfFile: path, encoding: .utf8).components(separatedBy: "\n")
        let index = try XCTUnwrap(lines.firstIndex { $0.hasPrefix("CREATE TABLE public.audit_log") })
        lines.insert("    broken no_such_type,", at: index + 1)
        try harness.write(lines.joined(separator: "\n"), to: "dumps/broken.sql")
        try assertRefused("\(dumps)/broken.sql", says: "The plain SQL dump broken.sql failed to load at line ")
        try assertRefused("\(dumps)/broken.sql", says: #": type "no_such_type" does not exist."#)
    }

    func testFromAndFromDumpTogetherAreRefused() throws {
        let path = try pgDump(["--format=custom"], to: "nightly.dump")
        try harness.assertRefused(["upload", "imp", "--from", "dbname=\(source)", "--from-dump", path],
                                  says: "--from and --from-dump both name what to capture; give one of them.")
    }

    func testACleanProfileRefusesADump() throws {
        XCTAssertEqual(harness.dpm("profile", "create", "base", "--kind", "clean").status, 0)
        let path = try pgDump(["--format=custom"], to: "nightly.dump")
        try harness.assertRefused(["upload", "base", "--from-dump", path], says: "base is a clean profile")
    }
}
