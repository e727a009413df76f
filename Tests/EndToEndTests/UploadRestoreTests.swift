import DatasetKit
import Foundation
import XCTest

final class UploadRestoreTests: XCTestCase {
    private var harness: Harness!

    override func setUpWithError() throws { harness = try Harness() }
    override func tearDown() { harness?.tearDown() }

    private func uploadResult(_ arguments: String...) throws -> UploadResult {
        let run = harness.dpm(["upload"] + arguments + ["--json"])
        XCTAssertEqual(run.status, 0, run.stderr)
        return try JSONDecoder().decode(UploadResult.self, from: Data(run.stdout.utf8))
    }

    func testUploadDropRestoreGivesIdenticalDataAndMedia() throws {
        try Fixture.create(in: harness)
        try Fixture.createMedia(in: harness)
        symlink("readme.txt", "\(harness.media)/link-to-readme")
        let contentBefore = try harness.contentDigest()
        let mediaBefore = Fixture.mediaFingerprint(harness.media)
        XCTAssertEqual(harness.dpm("profile", "create", "user-generated", "--kind", "shared").status, 0)

        let upload = harness.dpm("upload", "user-generated", "-m", "first capture")
        XCTAssertEqual(upload.status, 0, upload.stderr)
        XCTAssertTrue(upload.stdout.hasPrefix("Uploaded user-generated snapshot "), upload.stdout)
        XCTAssertTrue(upload.stderr.contains("Skipped link-to-readme"), upload.stderr)

        let manifestData = try XCTUnwrap(harness.read("profiles/user-generated/manifest.json"))
        let manifest = try CanonicalJSON.decode(Snapshot.self, from: manifestData, what: "manifest")
        XCTAssertEqual(try CanonicalJSON.encode(manifest), manifestData, "manifest.json is in canonical form")
        XCTAssertEqual(manifest.message, "first capture")
        XCTAssertEqual(manifest.migrations, [MigrationState(table: "schema_migrations", versions: ["20260101000000", "20260201000000"], tool: "rails/dbmate")])
        XCTAssertEqual(Set(manifest.data.compactMap(\.table)), ["public.accounts", "public.orders", "public.audit_log", "public.schema_migrations"])
        XCTAssertEqual(manifest.rowCount, 301 + 2000 + 500 + 2)
        XCTAssertEqual(manifest.media?.files, 4)
        XCTAssertEqual(harness.read(".dpm/store/snapshots/user-generated/\(manifest.id).json"), manifestData, "record equals manifest")
        let schemaSQL = try harness.dpmObject(manifest.schema.sha256)
        XCTAssertTrue(schemaSQL.contains("CREATE VIEW public.big_orders"), schemaSQL)
        XCTAssertFalse(schemaSQL.contains("Dumped from"))

        try harness.psql("DROP DATABASE \"\(harness.database)\"", in: "postgres")
        try FileManager.default.removeItem(atPath: harness.media)
        let restore = harness.dpm("restore", "user-generated")
        XCTAssertEqual(restore.status, 0, restore.stderr)
        XCTAssertTrue(restore.stdout.contains("4 tables, 2803 rows"), restore.stdout)
        XCTAssertEqual(try harness.contentDigest(), contentBefore)
        var expectedMedia = mediaBefore
        expectedMedia["link-to-readme"] = nil
        XCTAssertEqual(Fixture.mediaFingerprint(harness.media), expectedMedia)
        XCTAssertEqual(try harness.databases(), [harness.database], "no temporary databases left behind")
    }

    func testUnchangedReuploadStoresAlmostNothing() throws {
        try Fixture.create(in: harness)
        try Fixture.createMedia(in: harness)
        harness.dpm("profile", "create", "ug", "--kind", "shared")
        let first = try uploadResult("ug")
        XCTAssertGreaterThan(first.objectsStored, 5)
        let second = try uploadResult("ug")
        XCTAssertNotEqual(first.snapshot, second.snapshot)
        XCTAssertLessThanOrEqual(second.objectsStored, 1, "only the dump's table of contents may differ (it carries a timestamp)")
        XCTAssertLessThan(Double(second.bytesStored), Double(first.bytesStored) * 0.05)
        XCTAssertEqual(second.bytesRead, first.bytesRead)
    }

    func testRestoreOlderSnapshotByIDIntoAnotherDatabase() throws {
        try Fixture.create(in: harness)
        harness.dpm("profile", "create", "ug", "--kind", "shared")
        let old = try uploadResult("ug", "--no-media")
        let oldDigest = try harness.contentDigest()
        try harness.psql("DELETE FROM orders WHERE id > 10; UPDATE accounts SET name = 'renamed'")
        let new = try uploadResult("ug", "--no-media")
        XCTAssertNotEqual(old.snapshot, new.snapshot)

        let copy = harness.prefix + "_copy"
        let restore = harness.dpm("restore", "ug", "--snapshot", old.snapshot, "--into", copy)
        XCTAssertEqual(restore.status, 0, restore.stderr)
        XCTAssertEqual(try harness.contentDigest(of: copy), oldDigest)
        XCTAssertNotEqual(try harness.contentDigest(), oldDigest, "the working database was not touched")
    }

    func testForceReplacesTheTargetOnlyAfterTheNewCopyIsComplete() throws {
        try Fixture.create(in: harness)
        try Fixture.createMedia(in: harness)
        harness.dpm("profile", "create", "ug", "--kind", "shared")
        XCTAssertEqual(harness.dpm("upload", "ug").status, 0)
        let digest = try harness.contentDigest()
        try harness.psql("TRUNCATE orders")
        try harness.write("local only", to: "media/new-local-file.txt")

        let refused = harness.dpm("restore", "ug")
        XCTAssertNotEqual(refused.status, 0)
        XCTAssertEqual(refused.stderr, "error: The database \(harness.database) already exists; add --force to replace it (it is dropped only after the new copy is complete).\n")

        let forced = harness.dpm("restore", "ug", "--force")
        XCTAssertEqual(forced.status, 0, forced.stderr)
        XCTAssertEqual(try harness.contentDigest(), digest)
        XCTAssertNil(harness.read("media/new-local-file.txt"))
        XCTAssertEqual(try harness.databases(), [harness.database])
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: harness.root).filter { $0.contains("dpm-") }
        XCTAssertEqual(leftovers, [], "no staging or retired media folders left")
    }

    func testTableFiltersFromCommandLineAndProfile() throws {
        try Fixture.create(in: harness)
        try harness.write("kind: shared\ndescription: filtered\ntables:\n  exclude_data: [audit_log]\n", to: "profiles/filtered/profile.yaml")
        let upload = try uploadResult("filtered", "--exclude-table", "big_orders", "--no-media")
        XCTAssertEqual(upload.tables, 4, "audit_log's rows are left out, not the table")
        let copy = harness.prefix + "_filtered"
        XCTAssertEqual(harness.dpm("restore", "filtered", "--into", copy).status, 0)
        XCTAssertEqual(try harness.psql("SELECT count(*) FROM audit_log", in: copy), "0")
        XCTAssertEqual(try harness.psql("SELECT count(*) FROM orders", in: copy), "2000")
        XCTAssertEqual(try harness.psql("SELECT count(*) FROM pg_views WHERE viewname = 'big_orders'", in: copy), "0")
        let manifest = try CanonicalJSON.decode(Snapshot.self, from: XCTUnwrap(harness.read("profiles/filtered/manifest.json")), what: "m")
        XCTAssertEqual(manifest.filters, TableFilters(exclude: ["big_orders"], excludeData: ["audit_log"]))
    }

    func testCleanProfileLivesInGit() throws {
        try Fixture.create(in: harness)
        let upload = harness.dpm("upload", "clean-db")
        XCTAssertEqual(upload.status, 0, upload.stderr)
        let schema = String(decoding: try XCTUnwrap(harness.read("db/migration-base/clean-db/schema.sql")), as: UTF8.self)
        XCTAssertTrue(schema.contains("CREATE TABLE public.accounts"))
        XCTAssertFalse(schema.contains("\\restrict"))
        XCTAssertNotNil(harness.read("db/migration-base/clean-db/data.sql"))
        XCTAssertEqual((try? FileManager.default.contentsOfDirectory(atPath: "\(harness.store)/objects"))?.count ?? 0, 0, "clean profiles use no store objects")

        let digest = try harness.contentDigest()
        let copy = harness.prefix + "_clean"
        let restore = harness.dpm("restore", "clean-db", "--into", copy)
        XCTAssertEqual(restore.status, 0, restore.stderr)
        XCTAssertEqual(try harness.contentDigest(of: copy), digest)

        let again = harness.dpm("upload", "clean-db")
        XCTAssertEqual(again.status, 0)
        XCTAssertEqual(String(decoding: try XCTUnwrap(harness.read("db/migration-base/clean-db/schema.sql")), as: UTF8.self), schema,
                       "a second dump of the same schema is byte-identical")
    }

    func testProfileListShowStatusAndDelete() throws {
        try Fixture.create(in: harness)
        harness.dpm("profile", "create", "customer-acme", "--kind", "customer", "--description", "Acme Corp")
        XCTAssertEqual(harness.dpm("upload", "customer-acme", "--no-media").status, 0)
        let list = harness.dpm("profile", "list", "--json")
        let summaries = try JSONDecoder().decode([ProfileSummary].self, from: Data(list.stdout.utf8))
        XCTAssertEqual(summaries.map(\.name), ["clean-db", "customer-acme"])
        XCTAssertEqual(summaries[1].kind, .customer)
        XCTAssertNotNil(summaries[1].snapshot)
        XCTAssertTrue(harness.dpm("profile", "list").stdout.contains("Acme Corp"))
        XCTAssertTrue(harness.dpm("profile", "show", "customer-acme").stdout.contains("Tables:       4 (2803 rows)"))

        let status = harness.dpm("status", "--json")
        XCTAssertEqual(status.status, 0, status.stderr)
        let parsed = try JSONDecoder().decode(ProjectStatus.self, from: Data(status.stdout.utf8))
        XCTAssertEqual(parsed.database.exists, true)
        XCTAssertEqual(parsed.store.snapshots, 1)

        XCTAssertEqual(harness.dpm("profile", "delete", "customer-acme", "--yes").status, 0)
        XCTAssertNil(harness.read("profiles/customer-acme/profile.yaml"))
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: "\(harness.store)/snapshots/customer-acme").count, 1,
                       "the store keeps the snapshots")
    }
}

extension Harness {
    /// The content of a store object (on its own or in a pack), decompressed with dpm's own
    /// codec and checked against its id.
    func dpmObject(_ sha256: String) throws -> String {
        let stored = try LocalStoreAccess.bytes(of: sha256, in: store)
        let data = try LocalStoreAccess.codec.decompressing(DataReader(Data(stored))).readAll()
        XCTAssertEqual(SHA256Hex.of(data), sha256, "the object's content")
        return String(decoding: data, as: UTF8.self)
    }
}
