import DatasetKit
import Foundation
import XCTest

/// `dpm upload --from-dump` of custom and directory dumps read directly, without loading them
/// into a scratch database: the same snapshot a `--from` upload of the dumped database makes.
final class DirectDumpTests: XCTestCase {
    private var harness: Harness!
    private var source: String { harness.prefix + "_src" }
    private var dumps: String { "\(harness.root)/dumps" }

    override func setUpWithError() throws {
        harness = try Harness()
        try Fixture.create(in: harness, database: source)
        try harness.psql("""
            ALTER DATABASE "\(source)" SET work_mem = '64MB';
            ALTER DATABASE "\(source)" SET search_path = app, public;
            COMMENT ON DATABASE "\(source)" IS 'nightly ''prod'' copy';
            """, in: "postgres")
        for profile in ["live", "imp"] {
            XCTAssertEqual(harness.dpm("profile", "create", profile, "--kind", "shared").status, 0)
        }
        try FileManager.default.createDirectory(atPath: dumps, withIntermediateDirectories: true)
    }

    override func tearDown() { harness?.tearDown() }

    @discardableResult
    private func pgDump(_ options: [String], to name: String) throws -> String {
        let path = "\(dumps)/\(name)"
        let run = harness.command("pg_dump", options + ["--file=\(path)", "--dbname=\(source)"])
        guard run.status == 0 else { throw DPMError.internal("pg_dump failed: \(run.stderr)") }
        return path
    }

    private func manifest(_ profile: String) throws -> Snapshot {
        try CanonicalJSON.decode(Snapshot.self, from: XCTUnwrap(harness.read("profiles/\(profile)/manifest.json")), what: "manifest")
    }

    /// Uploads the source with --from as "live" and `path` with --from-dump as "imp", stopping
    /// the import just before its record is written to see that no database was made for it.
    private func importBesideLive(_ path: String, file: StaticString = #filePath, line: UInt = #line) throws -> (live: Snapshot, imported: Snapshot) {
        let live = harness.dpm("upload", "live", "--from", "dbname=\(source)", "--no-media")
        XCTAssertEqual(live.status, 0, live.stderr, file: file, line: line)
        let stopped = harness.dpm(["upload", "imp", "--from-dump", path, "--no-media"], environment: ["DPM_STOP_AT": "upload.before-record"])
        XCTAssertNotEqual(stopped.status, 0, file: file, line: line)
        XCTAssertEqual(try harness.databases().filter { $0 != source }, [], "the import made no database", file: file, line: line)
        let upload = harness.dpm("upload", "imp", "--from-dump", path, "--no-media")
        XCTAssertEqual(upload.status, 0, upload.stderr, file: file, line: line)
        XCTAssertFalse(upload.stderr.contains("scratch database"), upload.stderr, file: file, line: line)
        return (try manifest("live"), try manifest("imp"))
    }

    /// The imported snapshot's tables are the live one's objects, byte for byte (so they dedup),
    /// its schema is the same object, and the source's properties and migrations are recorded.
    private func assertSameAsLive(_ live: Snapshot, _ imported: Snapshot, file: StaticString = #filePath, line: UInt = #line) {
        let tables = { (snapshot: Snapshot) -> [String: Artifact] in
            Dictionary(uniqueKeysWithValues: snapshot.data.compactMap { artifact in artifact.table.map { ($0, artifact) } })
        }
        XCTAssertEqual(tables(imported).mapValues(\.sha256), tables(live).mapValues(\.sha256), file: file, line: line)
        XCTAssertEqual(tables(imported).mapValues(\.rows), tables(live).mapValues(\.rows), file: file, line: line)
        XCTAssertEqual(imported.schema.sha256, live.schema.sha256, "the same schema text", file: file, line: line)
        XCTAssertEqual(imported.migrations, live.migrations, file: file, line: line)
        XCTAssertEqual(imported.migrations.first?.versions, ["20260101000000", "20260201000000"], file: file, line: line)
        XCTAssertEqual(imported.source.properties, live.source.properties, file: file, line: line)
        XCTAssertEqual(imported.source.properties?.comment, "nightly 'prod' copy", file: file, line: line)
        XCTAssertEqual(imported.source.serverVersionNumber, live.source.serverVersionNumber, file: file, line: line)
        XCTAssertEqual(imported.tableCount, live.tableCount, file: file, line: line)
    }

    private func assertRestoresLikeSource(file: StaticString = #filePath, line: UInt = #line) throws {
        let copy = harness.prefix + "_copy"
        let restore = harness.dpm("restore", "imp", "--into", copy)
        XCTAssertEqual(restore.status, 0, restore.stderr, file: file, line: line)
        XCTAssertEqual(try harness.contentDigest(of: copy), try harness.contentDigest(of: source), file: file, line: line)
        XCTAssertEqual(try harness.psql("SELECT setconfig FROM pg_db_role_setting s JOIN pg_database d ON d.oid = s.setdatabase WHERE d.datname = '\(copy)'", in: "postgres"),
                       "{work_mem=64MB,\"search_path=app, public\"}", file: file, line: line)
    }

    func testACustomDumpIsReadWithoutADatabase() throws {
        let (live, imported) = try importBesideLive(try pgDump(["--format=custom"], to: "nightly.dump"))
        assertSameAsLive(live, imported)
        XCTAssertEqual(imported.source.dump?.format, "custom")
        XCTAssertEqual(imported.source.dump?.dataCompression, "gzip")
        try assertRestoresLikeSource()
    }

    func testAGzippedCustomDumpStreams() throws {
        let path = try pgDump(["--format=custom", "--compress=0"], to: "nightly.dump")
        XCTAssertEqual(harness.command("gzip", ["-q", path]).status, 0)
        let (live, imported) = try importBesideLive(path + ".gz")
        assertSameAsLive(live, imported)
        XCTAssertEqual(imported.source.dump?.compression, "gzip")
        try assertRestoresLikeSource()
    }

    func testDirectoryDumpsCompressedOrNotAreReadWithoutADatabase() throws {
        let compressed = try pgDump(["--format=directory", "--jobs=2"], to: "nightly.dir")
        let (live, imported) = try importBesideLive(compressed)
        assertSameAsLive(live, imported)
        try assertRestoresLikeSource()

        let plain = try pgDump(["--format=directory", "--compress=0"], to: "plain.dir")
        let before = harness.command("sh", ["-c", "cat '\(plain)'/* | md5sum"]).stdout
        let upload = harness.dpm("upload", "imp", "--from-dump", plain, "--no-media")
        XCTAssertEqual(upload.status, 0, upload.stderr)
        assertSameAsLive(live, try manifest("imp"))
        XCTAssertEqual(harness.command("sh", ["-c", "cat '\(plain)'/* | md5sum"]).stdout, before, "the dump's own files are untouched")
    }

    func testExcludedDataLeavesTheTableEmpty() throws {
        try harness.write("kind: shared\ntables:\n  exclude_data: [audit_log]\n", to: "profiles/imp/profile.yaml")
        let upload = harness.dpm("upload", "imp", "--from-dump", try pgDump(["--format=custom"], to: "nightly.dump"), "--no-media",
                                 "--exclude-table-data", "public.order*")
        XCTAssertEqual(upload.status, 0, upload.stderr)
        let snapshot = try manifest("imp")
        XCTAssertEqual(Set(snapshot.data.compactMap(\.table)), ["public.accounts", "public.schema_migrations"])
        XCTAssertEqual(snapshot.tableCount, 4)
        let copy = harness.prefix + "_copy"
        XCTAssertEqual(harness.dpm("restore", "imp", "--into", copy).status, 0)
        XCTAssertEqual(try harness.psql("SELECT (SELECT count(*) FROM audit_log) || ',' || (SELECT count(*) FROM orders) || ',' || (SELECT count(*) FROM accounts)", in: copy), "0,0,301")
    }

    func testADumpWithLargeObjectsGoesThroughAScratchDatabase() throws {
        try harness.psql("SELECT lo_from_bytea(0, 'a large object')", in: source)
        let upload = harness.dpm("upload", "imp", "--from-dump", try pgDump(["--format=custom"], to: "lo.dump"), "--no-media")
        XCTAssertEqual(upload.status, 0, upload.stderr)
        XCTAssertTrue(upload.stderr.contains("Loading lo.dump into a scratch database first: it holds large objects."), upload.stderr)
        XCTAssertEqual(try harness.databases().filter { $0 != source }, [])
    }

    func testDamagedTableDataIsRefusedNamingTheTable() throws {
        let path = try pgDump(["--format=custom"], to: "nightly.dump")
        var bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        // The orders data is the largest block: its middle is inside its zlib stream.
        let marker = try XCTUnwrap(bytes.range(of: Data("COPY public.orders".utf8)))
        let middle = marker.upperBound + (bytes.count - marker.upperBound) / 2
        for offset in middle..<(middle + 16) { bytes[offset] ^= 0x5A }
        try bytes.write(to: URL(fileURLWithPath: "\(dumps)/damaged.dump"))
        try harness.assertRefused(["upload", "imp", "--from-dump", "\(dumps)/damaged.dump"], says: "The dump damaged.dump cannot be read: the data of public.")
        XCTAssertNil(harness.read("profiles/imp/manifest.json"))
        XCTAssertFalse(FileManager.default.fileExists(atPath: "\(harness.store)/snapshots/imp"))
    }

    func testADirectoryDumpMissingADataFileIsRefused() throws {
        let path = try pgDump(["--format=directory", "--compress=0"], to: "nightly.dir")
        let file = try XCTUnwrap(try FileManager.default.contentsOfDirectory(atPath: path).first { $0.hasSuffix(".dat") && $0 != "toc.dat" })
        try FileManager.default.removeItem(atPath: "\(path)/\(file)")
        try harness.assertRefused(["upload", "imp", "--from-dump", path], says: "The dump nightly.dir cannot be read: it lacks \(file), the data of public.")
        XCTAssertNil(harness.read("profiles/imp/manifest.json"))
    }

    func testSanitizeCheckRefusesWhatItCannotReadWithoutADatabase() throws {
        let plain = try pgDump(["--format=plain"], to: "nightly.sql")
        try harness.assertRefused(["sanitize", "check", "imp", "--from-dump", plain],
                                  says: "nightly.sql is a plain SQL dump, whose tables only a database can tell: load it into one and check with --from")
        try harness.assertRefused(["sanitize", "check", "imp", "--from", "dbname=\(source)", "--from-dump", plain],
                                  says: "--from and --from-dump both name what to check; give one of them.")
        try harness.psql("SELECT lo_from_bytea(0, 'a large object')", in: source)
        try harness.assertRefused(["sanitize", "check", "imp", "--from-dump", try pgDump(["--format=custom"], to: "lo.dump")],
                                  says: "dpm cannot read lo.dump itself (it holds large objects): restore it into a database and check with --from.")
    }
}
