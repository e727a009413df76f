import Archive
import DatasetKit
import Foundation
import XCTest

/// Every mistake a user can make gets one plain sentence, a non-zero exit, and no change.
final class BadInputTests: XCTestCase {
    private var harness: Harness!

    override func setUpWithError() throws { harness = try Harness() }
    override func tearDown() { harness?.tearDown() }

    private func assertRefused(_ arguments: [String], environment: [String: String] = [:], in directory: String? = nil,
                               says expected: String, file: StaticString = #filePath, line: UInt = #line) throws {
        try harness.assertRefused(arguments, environment: environment, in: directory, says: expected, file: file, line: line)
    }

    /// A project with one uploaded profile "ug" and the working database restored from it.
    private func uploadedProject() throws -> Snapshot {
        try Fixture.create(in: harness)
        try Fixture.createMedia(in: harness)
        harness.dpm("profile", "create", "ug", "--kind", "shared")
        let upload = harness.dpm("upload", "ug")
        XCTAssertEqual(upload.status, 0, upload.stderr)
        return try CanonicalJSON.decode(Snapshot.self, from: XCTUnwrap(harness.read("profiles/ug/manifest.json")), what: "m")
    }

    func testUnknownProfileListsKnownOnes() throws {
        harness.dpm("profile", "create", "alpha", "--kind", "shared")
        try assertRefused(["restore", "beta"], says: "There is no profile \"beta\" (known profiles: alpha, clean-db).")
        try assertRefused(["upload", "beta"], says: "There is no profile \"beta\"")
        try assertRefused(["profile", "show", "beta"], says: "There is no profile \"beta\"")
    }

    func testInvalidProfileName() throws {
        try assertRefused(["profile", "create", "Bad Name", "--kind", "shared"], says: "\"Bad Name\" is not a valid profile name: a profile name is 1 to 63 characters")
        try assertRefused(["restore", "../etc"], says: "is not a valid profile name")
    }

    func testMissingAndMalformedProjectFile() throws {
        let elsewhere = NSTemporaryDirectory() + "dpm-empty-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: elsewhere, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: elsewhere) }
        try assertRefused(["status"], in: elsewhere, says: "run \"dpm init\"")

        try harness.write("database: \"dbname=x\"\nstore: [oops\n", to: "dpm.yaml")
        try assertRefused(["profile", "list"], says: "dpm.yaml is not valid YAML: line 3")
        try harness.write("database: \"dbname=x\"\nmedai: media\n", to: "dpm.yaml")
        try assertRefused(["status"], says: "dpm.yaml line 2: unknown setting \"medai\"")
        try harness.write("database: \"host=localhost password=hunter2\"\n", to: "dpm.yaml")
        let run = harness.dpm("status")
        XCTAssertTrue(run.stderr.contains("contains a password"), run.stderr)
        XCTAssertFalse(run.stderr.contains("hunter2"))
    }

    func testMalformedManifest() throws {
        _ = try uploadedProject()
        try harness.write("{ \"id\": \"20261122T031826Z-1a2b3c\", ", to: "profiles/ug/manifest.json")
        try assertRefused(["restore", "ug", "--into", harness.prefix + "_x"], says: "profiles/ug/manifest.json is malformed")
        try harness.write("{}", to: "profiles/ug/manifest.json")
        try assertRefused(["restore", "ug", "--into", harness.prefix + "_x"], says: "profiles/ug/manifest.json is malformed: \"")
    }

    func testManifestNamingAMissingObject() throws {
        harness.environment = Harness.unpacked // one table's object (PackTests removes a pack)
        let snapshot = try uploadedProject()
        let table = try XCTUnwrap(snapshot.data.first { $0.table == "public.orders" })
        try FileManager.default.removeItem(atPath: "\(harness.store)/\(StoreLayout.objectKey(table.sha256))")
        try assertRefused(["restore", "ug", "--into", harness.prefix + "_x"],
                          says: "object \(table.sha256) (\(table.path), data of public.orders) is missing; nothing was changed.")
    }

    func testCorruptedObjectIsNamed() throws {
        harness.environment = Harness.unpacked // one table's object (PackTests damages a member)
        let snapshot = try uploadedProject()
        let table = try XCTUnwrap(snapshot.data.first { $0.table == "public.accounts" })
        let path = "\(harness.store)/\(StoreLayout.objectKey(table.sha256))"
        // Valid zstd of other content: only the hash can tell.
        let other = snapshot.data.first { $0.table == "public.orders" }.map { "\(harness.store)/\(StoreLayout.objectKey($0.sha256))" }!
        try FileManager.default.removeItem(atPath: path)
        try FileManager.default.copyItem(atPath: other, toPath: path)
        try assertRefused(["restore", "ug", "--into", harness.prefix + "_x"],
                          says: "object \(table.sha256) (\(table.path), data of public.accounts) has \(try FileManager.default.attributesOfItem(atPath: other)[.size] as? Int ?? 0) bytes where the snapshot recorded \(table.storedSize), and its content does not verify")
        // Bytes that are not zstd at all, of the recorded size: found while streaming.
        try Data(repeating: 0x67, count: Int(table.storedSize)).write(to: URL(fileURLWithPath: path))
        try assertRefused(["restore", "ug", "--into", harness.prefix + "_x"], says: "Object \(table.sha256) (\(table.path), data of public.accounts) in file://\(harness.store) is corrupt: it is not a zstd stream")
    }

    /// Replaces the content of `table`'s data object in the pinned manifest with `rows`
    /// (stored under its right hash, so only the server can object).
    private func pin(_ rows: String, as table: String, in snapshot: Snapshot) throws {
        let transfer = ObjectTransfer(store: try LocalStoreAccess.open(harness.store), codec: ZstdCodec())
        let bad = try transfer.storeData(Data(rows.utf8))
        var edited = snapshot
        let index = try XCTUnwrap(edited.data.firstIndex { $0.table == table })
        edited.data[index].sha256 = bad.sha256
        edited.data[index].size = bad.size
        edited.data[index].storedSize = bad.storedSize
        edited.data[index].pack = nil
        try writeHostileRecord(edited)
    }

    /// A hostile store: `snapshot` as both its record and the manifest (a manifest alone
    /// would not match the record, and be refused for that).
    private func writeHostileRecord(_ snapshot: Snapshot) throws {
        for path in ["profiles/ug/manifest.json", ".dpm/store/\(StoreLayout.snapshotKey(profile: "ug", id: snapshot.id))"] {
            try Data(try CanonicalJSON.encode(snapshot)).write(to: URL(fileURLWithPath: "\(harness.root)/\(path)"))
        }
    }

    /// Rows the server refuses (an object whose hash is right but whose content is not the
    /// table's) stop the restore with the table's name and the server's reason.
    func testRowsTheServerRefusesNameTheTable() throws {
        let snapshot = try uploadedProject()
        try pin("1\t1\tnot a number\tnote\t2026-01-01\n", as: "public.orders", in: snapshot)
        try assertRefused(["restore", "ug", "--into", harness.prefix + "_x"],
                          says: "Loading the data of public.orders failed: invalid input syntax for type numeric: \"not a number\"")
    }

    /// Data that loads but breaks a constraint built afterwards names the constraint.
    func testAConstraintTheDataBreaksIsNamed() throws {
        let snapshot = try uploadedProject()
        try pin("7\tfirst\n7\tsecond\n", as: "public.audit_log", in: snapshot)
        try assertRefused(["restore", "ug", "--into", harness.prefix + "_x"],
                          says: "Restoring the CONSTRAINT audit_log audit_log_pkey failed: could not create unique index \"audit_log_pkey\"")
    }

    func testManifestLackingATableDataFile() throws {
        var snapshot = try uploadedProject()
        let file = try XCTUnwrap(snapshot.data.first { $0.table == "public.orders" }).path
        snapshot.data.removeAll { $0.path == file }
        try writeHostileRecord(snapshot)
        try assertRefused(["restore", "ug", "--into", harness.prefix + "_x"],
                          says: "Snapshot \(snapshot.id) lacks \(file), a table data file its dump lists; it cannot be restored.")
    }

    func testUnreachableDatabaseAndFailedLoginHideThePassword() throws {
        _ = try uploadedProject()
        try assertRefused(["restore", "ug", "--force"], environment: ["DPM_DATABASE_URL": "postgresql://someone:s3cretpw@127.0.0.1:1/nowhere"],
                          says: "Cannot connect to PostgreSQL at 127.0.0.1:1 as someone (database postgres): connection to server at \"127.0.0.1\", port 1 failed: Connection refused")
        let run = harness.dpm("upload", "ug", environment: ["DPM_DATABASE_URL": "postgresql://someone:s3cretpw@127.0.0.1:1/nowhere"])
        XCTAssertFalse(run.stderr.contains("s3cretpw"), run.stderr)
        try assertRefused(["upload", "ug"], environment: ["DPM_DATABASE_URL": "user=no_such_role dbname=\(harness.database)"],
                          says: "as no_such_role (database postgres): connection to server on socket \"\(ProcessInfo.processInfo.environment["PGHOST"]!)/.s.PGSQL.\(ProcessInfo.processInfo.environment["PGPORT"]!)\" failed: FATAL:  role \"no_such_role\" does not exist.")
    }

    func testUnwritableStoreFolder() throws {
        try Fixture.create(in: harness)
        harness.dpm("profile", "create", "ug", "--kind", "shared")
        try harness.write("a file, not a folder", to: "blocker")
        try assertRefused(["upload", "ug"], environment: ["DPM_STORE": "file:blocker/store"],
                          says: "Cannot create the store folder \(harness.root)/blocker/store: Not a directory.")
        XCTAssertNil(harness.read("profiles/ug/manifest.json"))
    }

    func testMediaIndexEscapingTheFolderIsRefused() throws {
        var snapshot = try uploadedProject()
        let store = try LocalStoreAccess.open(harness.store)
        let evil = [MediaEntry(path: "../escaped.txt", size: 5, mode: 0o644, sha256: SHA256Hex.of(Data("hello".utf8)))]
        let stored = try ObjectTransfer(store: store, codec: LocalStoreAccess.codec).storeData(try CanonicalJSON.encode(evil))
        snapshot.media?.index.sha256 = stored.sha256
        try writeHostileRecord(snapshot)
        try assertRefused(["restore", "ug", "--force"], says: "names the unsafe path \"../escaped.txt\"")
        XCTAssertFalse(FileManager.default.fileExists(atPath: "\(harness.root)/escaped.txt"))
    }

    func testMissingOrOldClientTools() throws {
        _ = try uploadedProject()
        let tools = NSTemporaryDirectory() + "dpm-tools-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: tools, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: tools) }
        try assertRefused(["upload", "ug"], environment: ["DPM_PG_BIN": tools], says: "pg_dump was not found; install the PostgreSQL 15 client tools")
        for tool in ["pg_dump", "pg_restore"] {
            try harness.write("#!/bin/sh\necho '\(tool) (PostgreSQL) 11.22'\n", to: "\(tools)/\(tool)")
            chmod("\(tools)/\(tool)", 0o755)
        }
        try assertRefused(["upload", "ug"], environment: ["DPM_PG_BIN": tools], says: "\(tools)/pg_dump is version 11, older than the server (PostgreSQL 15)")
        try assertRefused(["restore", "ug", "--force"], environment: ["DPM_PG_BIN": tools], says: "\(tools)/pg_restore is version 11, older than the server")
    }

    func testTargetExistsAndBadSnapshotIDs() throws {
        _ = try uploadedProject()
        try assertRefused(["restore", "ug"], says: "The database \(harness.database) already exists; add --force")
        try assertRefused(["restore", "ug", "--snapshot", "latest", "--into", harness.prefix + "_x"], says: "has no tag latest of profile ug")
        try assertRefused(["restore", "ug", "--snapshot", "2026/01", "--into", harness.prefix + "_x"], says: "\"2026/01\" is neither a snapshot id")
        try assertRefused(["restore", "ug", "--snapshot", "20200101T000000Z-abcdef", "--into", harness.prefix + "_x"],
                          says: "has no snapshot 20200101T000000Z-abcdef of profile ug (latest: ")
    }

    func testProfileWithoutSnapshotAndDeleteWithoutConfirmation() throws {
        harness.dpm("profile", "create", "fresh", "--kind", "shared")
        try assertRefused(["restore", "fresh", "--into", harness.prefix + "_x"], says: "The profile fresh has no snapshot yet; create one with \"dpm upload fresh\".")
        try assertRefused(["profile", "delete", "fresh"], says: "Refusing to delete profile fresh without confirmation; add --yes.")
        try assertRefused(["profile", "create", "fresh", "--kind", "shared"], says: "The profile fresh already exists")
    }
}
