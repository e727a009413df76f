import DatasetKit
import Foundation
import XCTest

final class SnapshotFormatTests: XCTestCase {
    static func sampleSnapshot() -> Snapshot {
        let hash = String(repeating: "ab", count: 32)
        return Snapshot(
            format: 1, id: "20261122T031826Z-1a2b3c", profile: "user-generated", kind: .shared,
            createdAt: "2026-11-22T03:18:26Z", message: "m", tool: "dpm 0.1.0", compression: "zstd",
            source: SnapshotSource(database: "app", serverVersion: "15.20", serverVersionNumber: 150020),
            filters: TableFilters(excludeData: ["audit_log"]),
            migrations: [MigrationState(table: "schema_migrations", versions: ["1", "2"])],
            schema: Artifact(path: "schema.sql", sha256: hash, size: 10, storedSize: 8),
            data: [Artifact(path: "3001.dat", sha256: hash, size: 100, storedSize: 40, table: "public.users", rows: 3),
                   Artifact(path: "toc.dat", sha256: hash, size: 50, storedSize: 30)],
            media: nil,
            sizes: SnapshotSizes(total: 160, stored: 78, data: 150, media: 0)
        )
    }

    func testManifestJSONIsDeterministicSortedAndEndsWithNewline() throws {
        let first = try CanonicalJSON.encode(Self.sampleSnapshot())
        let second = try CanonicalJSON.encode(try CanonicalJSON.decode(Snapshot.self, from: first, what: "x"))
        XCTAssertEqual(first, second)
        let text = String(decoding: first, as: UTF8.self)
        XCTAssertTrue(text.hasSuffix("}\n"))
        let keys = text.split(separator: "\n").filter { $0.hasPrefix("  \"") }.map { $0.split(separator: "\"")[1] }
        XCTAssertEqual(keys, keys.sorted())
        XCTAssertEqual(Self.sampleSnapshot().rowCount, 3)
        XCTAssertEqual(Self.sampleSnapshot().tableCount, 1)
    }

    func testMalformedManifestIsOneSentence() {
        XCTAssertThrowsError(try CanonicalJSON.decode(Snapshot.self, from: Data("{\"id\": 1".utf8), what: "profiles/x/manifest.json")) {
            XCTAssertTrue($0.userMessage.hasPrefix("profiles/x/manifest.json is malformed"), $0.userMessage)
            XCTAssertEqual(($0 as? DPMError)?.kind, .corrupt)
        }
        var snapshot = Self.sampleSnapshot()
        snapshot.data[0].path = "../../etc/passwd"
        XCTAssertThrowsError(try snapshot.validate(what: "m")) { XCTAssertTrue($0.userMessage.contains("not a dump file name")) }
        snapshot = Self.sampleSnapshot()
        snapshot.schema.sha256 = "xyz"
        XCTAssertThrowsError(try snapshot.validate(what: "m")) { XCTAssertTrue($0.userMessage.contains("not a SHA-256")) }
    }

    func testSnapshotIDsSortByTime() {
        let early = SnapshotID.make(at: Date(timeIntervalSince1970: 1_700_000_000))
        let late = SnapshotID.make(at: Date(timeIntervalSince1970: 1_800_000_000))
        XCTAssertTrue(SnapshotID.isValid(early), early)
        XCTAssertLessThan(early, late)
        XCTAssertTrue(early.hasPrefix("20231114T221320Z-"))
        XCTAssertFalse(SnapshotID.isValid("latest"))
    }

    func testSchemaNormalizerDropsVolatileLines() {
        let dumpA = "--\n-- PostgreSQL database dump\n--\n\n\\restrict abc123\n\n-- Dumped from database version 15.20\n-- Dumped by pg_dump version 15.20\n\nSET x = 0;\nCREATE TABLE t (id int);\n\n\\unrestrict abc123\n\n"
        let dumpB = dumpA.replacingOccurrences(of: "abc123", with: "zzz999").replacingOccurrences(of: "15.20", with: "15.21")
        XCTAssertEqual(SchemaNormalizer.normalize(dumpA), SchemaNormalizer.normalize(dumpB))
        XCTAssertFalse(SchemaNormalizer.normalize(dumpA).contains("restrict"))
        XCTAssertTrue(SchemaNormalizer.normalize(dumpA).hasSuffix("CREATE TABLE t (id int);\n"))
    }

    func testTOCListingMapsDataFilesToTables() {
        let listing = """
        ;
        ; Archive created at 2026-11-22 03:23:26 UTC
        215; 1259 16386 TABLE public a postgres
        3353; 0 16386 TABLE DATA public a postgres
        3354; 0 16394 TABLE DATA public my table postgres
        3363; 0 0 SEQUENCE SET public a_id_seq postgres
        """
        XCTAssertEqual(DumpTOC.tableFiles(fromListing: listing), ["3353.dat": "public.a", "3354.dat": "public.my table"])
    }

    func testMediaPathSafety() {
        for safe in ["a.png", "a/b/c.txt", "with space/ü.txt", "..hidden", "a..b"] { XCTAssertTrue(MediaPath.isSafe(safe), safe) }
        for unsafe in ["", "/etc/passwd", "../x", "a/../../x", "a/./b", "a//b", "a/", "a\\..\\b"] {
            XCTAssertFalse(MediaPath.isSafe(unsafe), unsafe)
        }
    }

    func testStoreKeysStayInsideTheStore() {
        XCTAssertTrue(StoreLayout.isValidKey(StoreLayout.objectKey(String(repeating: "0", count: 64))))
        XCTAssertEqual(StoreLayout.objectKey("abcdef"), "objects/ab/abcdef")
        for bad in ["", "/abs", "a/../b", "a//b", "./a", ".tmp/x", "a/"] { XCTAssertFalse(StoreLayout.isValidKey(bad), bad) }
    }

    func testConcurrentForEachRunsAllAndRethrowsFirstError() {
        let seen = Locked(Set<Int>())
        XCTAssertNoThrow(try concurrentForEach(Array(0..<100), width: 4) { item in seen.withValue { _ = $0.insert(item) } })
        XCTAssertEqual(seen.current.count, 100)
        XCTAssertThrowsError(try concurrentForEach(Array(0..<100), width: 4) { item in
            if item == 7 { throw DPMError.internal("seven") }
        }) { XCTAssertEqual($0.userMessage, "seven") }
    }
}
