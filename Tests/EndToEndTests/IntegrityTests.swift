import DatasetKit
import Foundation
import XCTest

/// A snapshot whose objects are missing or damaged, and a manifest dpm did not write, are
/// refused before anything is built; upload never reuses a damaged object.
final class IntegrityTests: XCTestCase {
    private var harness: Harness!

    override func setUpWithError() throws {
        harness = try Harness()
        // Each table's object on its own, to truncate, replace or remove one (PackTests does
        // the same to a pack and its members).
        harness.environment = Harness.unpacked
        try Fixture.create(in: harness)
        try Fixture.createMedia(in: harness)
        harness.dpm("profile", "create", "ug", "--kind", "shared")
        let uploaded = harness.dpm("upload", "ug")
        XCTAssertEqual(uploaded.status, 0, uploaded.stderr)
    }

    override func tearDown() { harness?.tearDown() }

    private func pinned() throws -> Snapshot {
        try JSONDecoder().decode(Snapshot.self, from: XCTUnwrap(harness.read("profiles/ug/manifest.json")))
    }

    private func objectPath(_ sha256: String) -> String { "\(harness.store)/\(StoreLayout.objectKey(sha256))" }

    private func assertOneSentence(_ run: Harness.Run, containing parts: [String], file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertNotEqual(run.status, 0, "refused", file: file, line: line)
        var text = run.stderr.trimmingCharacters(in: .whitespacesAndNewlines)
        if text.hasPrefix("error: ") { text.removeFirst("error: ".count) }
        XCTAssertFalse(text.contains("\n"), "one line: \(text)", file: file, line: line)
        XCTAssertTrue(text.first?.isUppercase == true && text.hasSuffix("."), "a sentence: \(text)", file: file, line: line)
        for part in parts { XCTAssertTrue(text.contains(part), "\"\(part)\" in: \(text)", file: file, line: line) }
    }

    // MARK: item 7: every object present and intact before anything is built

    func testRestoreRefusesASnapshotWithoutItsSchemaObjectAndLeavesNothing() throws {
        let schema = try pinned().schema.sha256
        XCTAssertEqual(unlink(objectPath(schema)), 0)
        let before = try harness.stateFingerprint()
        let target = harness.prefix + "_copy"
        let restored = harness.dpm("restore", "ug", "--into", target, "--media-dir", "restored-media")
        assertOneSentence(restored, containing: [schema, "schema.sql", "missing"])
        XCTAssertFalse(try harness.databaseExists(target))
        XCTAssertEqual(try harness.stateFingerprint(), before, "no database, staging folder or media folder left")
        XCTAssertFalse(try FileManager.default.contentsOfDirectory(atPath: harness.root).contains { $0.contains("restored-media") })
    }

    func testRestoreRefusesATruncatedDataObjectBeforeTheSwap() throws {
        let orders = try XCTUnwrap(try pinned().data.first { $0.table == "public.orders" })
        XCTAssertEqual(truncate(objectPath(orders.sha256), 10), 0)
        try harness.psql("DELETE FROM orders WHERE id > 10")
        let digest = try harness.contentDigest()
        let before = try harness.stateFingerprint()
        let restored = harness.dpm("restore", "ug", "--force")
        assertOneSentence(restored, containing: [orders.sha256, "data of public.orders", "has 10 bytes where the snapshot recorded \(orders.storedSize)"])
        XCTAssertEqual(try harness.contentDigest(), digest, "the working database is untouched")
        XCTAssertEqual(try harness.stateFingerprint(), before)
    }

    func testUseRefusesAMissingSchemaOrMediaObjectAndBuildsNoTemplate() throws {
        let schema = try pinned().schema.sha256
        let digest = try harness.contentDigest()
        let moved = objectPath(schema) + ".away"
        XCTAssertEqual(rename(objectPath(schema), moved), 0)
        var before = try harness.stateFingerprint()
        assertOneSentence(harness.dpm("use", "ug"), containing: [schema, "missing", "nothing was changed"])
        XCTAssertEqual(try harness.stateFingerprint(), before, "no template, clone or media copy")
        XCTAssertEqual(rename(moved, objectPath(schema)), 0)

        // A media file's object: the template is not built either.
        let photo = SHA256Hex.of(try Data(contentsOf: URL(fileURLWithPath: "\(harness.media)/attachments/photo.bin")))
        XCTAssertEqual(unlink(objectPath(photo)), 0)
        before = try harness.stateFingerprint()
        assertOneSentence(harness.dpm("use", "ug"), containing: [photo, "media file attachments/photo.bin", "missing"])
        XCTAssertEqual(try harness.stateFingerprint(), before)
        XCTAssertEqual(try harness.contentDigest(), digest)
    }

    func testAttachRefusesAMissingSchemaObject() throws {
        let schema = try pinned().schema.sha256
        XCTAssertEqual(unlink(objectPath(schema)), 0)
        let before = try harness.stateFingerprint()
        assertOneSentence(harness.dpm("attach", "ug"), containing: [schema, "schema.sql", "missing"])
        XCTAssertEqual(try harness.stateFingerprint(), before)
        XCTAssertFalse(try harness.databaseExists(harness.database + "__ug"))
    }

    func testASchemaObjectWithOtherContentIsRefused() throws {
        let schema = try pinned().schema.sha256
        // Well-formed zstd, wrong content: only reading the object can tell.
        let other = try XCTUnwrap(try pinned().data.first { $0.path == "toc.dat" })
        let path = objectPath(schema)
        XCTAssertEqual(unlink(path), 0)
        try FileManager.default.copyItem(atPath: objectPath(other.sha256), toPath: path)
        let restored = harness.dpm("restore", "ug", "--into", harness.prefix + "_copy")
        assertOneSentence(restored, containing: [schema, "schema.sql", "does not verify"])
        XCTAssertFalse(try harness.databaseExists(harness.prefix + "_copy"))
    }

    // MARK: item 8: the pinned manifest must be the store's record

    private func tamper(_ change: (inout [String: Any]) -> Void) throws {
        let data = try XCTUnwrap(harness.read("profiles/ug/manifest.json"))
        var object = try XCTUnwrap(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        change(&object)
        try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .prettyPrinted]).write(to: URL(fileURLWithPath: "\(harness.root)/profiles/ug/manifest.json"))
    }

    func testAManifestPinningASnapshotTheStoreLacksIsRefused() throws {
        let original = try XCTUnwrap(harness.read("profiles/ug/manifest.json"))
        try tamper { $0["id"] = "20200101T000000Z-abcdef" }
        let before = try harness.stateFingerprint()
        let target = harness.prefix + "_copy"
        assertOneSentence(harness.dpm("restore", "ug", "--into", target),
                          containing: ["profiles/ug/manifest.json pins snapshot 20200101T000000Z-abcdef", "does not have"])
        assertOneSentence(harness.dpm("use", "ug"), containing: ["20200101T000000Z-abcdef", "does not have"])
        assertOneSentence(harness.dpm("attach", "ug"), containing: ["20200101T000000Z-abcdef", "does not have"])
        XCTAssertEqual(try harness.stateFingerprint(), before)

        // Same id, other content (a merge mixed two manifests): refused too.
        try original.write(to: URL(fileURLWithPath: "\(harness.root)/profiles/ug/manifest.json"))
        let id = try pinned().id
        try tamper { object in
            var data = object["data"] as! [[String: Any]]
            data.removeAll { $0["table"] as? String == "public.audit_log" }
            object["data"] = data
        }
        assertOneSentence(harness.dpm("restore", "ug", "--into", target),
                          containing: ["profiles/ug/manifest.json does not match the store's record of snapshot \(id)", "--snapshot \(id)"])
        assertOneSentence(harness.dpm("use", "ug"), containing: ["does not match the store's record"])
        XCTAssertFalse(try harness.databaseExists(target))
        // The store's record itself still restores, on request.
        let restored = harness.dpm("restore", "ug", "--into", target, "--snapshot", id)
        XCTAssertEqual(restored.status, 0, restored.stderr)
        XCTAssertEqual(try harness.psql("SELECT count(*) FROM audit_log", in: target), "500")
    }

    func testAManifestDpmDidNotWriteIsRefusedEverywhere() throws {
        let original = try XCTUnwrap(harness.read("profiles/ug/manifest.json"))
        let cases: [(String, (inout [String: Any]) -> Void)] = [
            ("format 5 is unknown (this dpm reads formats 1 to 4)", { $0["format"] = 5 }),
            ("compression \"lz4\" is unknown", { $0["compression"] = "lz4" }),
            ("names the profile \"other\"", { $0["profile"] = "other" }),
            ("kind is customer", { $0["kind"] = "customer" }),
            ("lists toc.dat more than once", { object in
                var data = object["data"] as! [[String: Any]]
                data.append(data.first { $0["path"] as? String == "toc.dat" }!)
                object["data"] = data
            }),
        ]
        let target = harness.prefix + "_copy"
        for (reason, change) in cases {
            try original.write(to: URL(fileURLWithPath: "\(harness.root)/profiles/ug/manifest.json"))
            try tamper(change)
            let before = try harness.stateFingerprint()
            let parts = ["profiles/ug/manifest.json is not a snapshot dpm wrote", reason]
            assertOneSentence(harness.dpm("restore", "ug", "--into", target), containing: parts)
            assertOneSentence(harness.dpm("use", "ug"), containing: parts)
            assertOneSentence(harness.dpm("profile", "show", "ug"), containing: parts)
            let status = harness.dpm("status")
            XCTAssertEqual(status.status, 0, status.stderr)
            XCTAssertTrue(status.stdout.contains("not a snapshot dpm wrote"), "\(reason): \(status.stdout)")
            XCTAssertEqual(try harness.stateFingerprint(), before, reason)
        }
    }

    func testACleanProfilesManifestMustBeDpms() throws {
        XCTAssertEqual(harness.dpm("upload", "clean-db").status, 0)
        let path = "\(harness.root)/profiles/clean-db/manifest.json"
        var object = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as? [String: Any])
        object["inGit"] = false
        try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]).write(to: URL(fileURLWithPath: path))
        assertOneSentence(harness.dpm("restore", "clean-db", "--into", harness.prefix + "_clean"),
                          containing: ["profiles/clean-db/manifest.json is not a snapshot dpm wrote"])
        XCTAssertFalse(try harness.databaseExists(harness.prefix + "_clean"))
    }

    // MARK: item 9: upload never reuses a damaged object

    /// 1 when the pinned toc.dat differs from `snapshot`'s (pg_dump records the time in it).
    private func newTOC(since snapshot: Snapshot) throws -> Int {
        let toc = { (snapshot: Snapshot) in snapshot.data.first { $0.path == "toc.dat" }?.sha256 }
        return toc(try pinned()) == toc(snapshot) ? 0 : 1
    }

    func testUploadStoresATruncatedObjectAnew() throws {
        let first = try pinned()
        let orders = try XCTUnwrap(first.data.first { $0.table == "public.orders" })
        let photo = SHA256Hex.of(try Data(contentsOf: URL(fileURLWithPath: "\(harness.media)/attachments/photo.bin")))
        let photoSize = try XCTUnwrap(try FileManager.default.attributesOfItem(atPath: objectPath(photo))[.size] as? Int)
        XCTAssertEqual(truncate(objectPath(orders.sha256), 7), 0)
        XCTAssertEqual(truncate(objectPath(photo), 3), 0)

        let again = harness.dpm("upload", "ug", "--json")
        XCTAssertEqual(again.status, 0, again.stderr)
        XCTAssertTrue(again.stderr.contains("object \(orders.sha256) was damaged (7 bytes"), again.stderr)
        XCTAssertTrue(again.stderr.contains("object \(photo) was damaged (3 bytes"), again.stderr)
        let result = try JSONDecoder().decode(UploadResult.self, from: Data(again.stdout.utf8))
        XCTAssertEqual(result.objectsStored, 2 + (try newTOC(since: first)), "only the damaged objects (and a new toc.dat) are stored")
        XCTAssertEqual(try FileManager.default.attributesOfItem(atPath: objectPath(orders.sha256))[.size] as? Int64, orders.storedSize)
        XCTAssertEqual(try FileManager.default.attributesOfItem(atPath: objectPath(photo))[.size] as? Int, photoSize)

        let digest = try harness.contentDigest()
        let target = harness.prefix + "_copy"
        let restored = harness.dpm("restore", "ug", "--into", target, "--media-dir", "restored-media")
        XCTAssertEqual(restored.status, 0, restored.stderr)
        XCTAssertEqual(try harness.contentDigest(of: target), digest)
        XCTAssertEqual(Fixture.mediaFingerprint("\(harness.root)/restored-media"), Fixture.mediaFingerprint(harness.media))
        // The older snapshot names the same objects, so it restores again too.
        let older = harness.dpm("restore", "ug", "--into", harness.prefix + "_older", "--snapshot", first.id)
        XCTAssertEqual(older.status, 0, older.stderr)
    }

    func testAnObjectNoRecordSizesIsVerifiedByReadingBeforeReuse() throws {
        let first = try pinned()
        let orders = try XCTUnwrap(first.data.first { $0.table == "public.orders" })
        // No record names it any more (as for an object a killed upload left).
        try FileManager.default.removeItem(atPath: "\(harness.store)/snapshots/ug")
        try FileManager.default.removeItem(atPath: "\(harness.root)/profiles/ug/manifest.json")
        XCTAssertEqual(truncate(objectPath(orders.sha256), 20), 0)
        let again = harness.dpm("upload", "ug", "--json")
        XCTAssertEqual(again.status, 0, again.stderr)
        XCTAssertTrue(again.stderr.contains("object \(orders.sha256) was damaged (20 bytes"), again.stderr)
        let result = try JSONDecoder().decode(UploadResult.self, from: Data(again.stdout.utf8))
        XCTAssertEqual(result.objectsStored, 1 + (try newTOC(since: first)), "intact objects are reused after reading them")
        XCTAssertEqual(try FileManager.default.attributesOfItem(atPath: objectPath(orders.sha256))[.size] as? Int64, orders.storedSize)
        let restored = harness.dpm("restore", "ug", "--into", harness.prefix + "_copy")
        XCTAssertEqual(restored.status, 0, restored.stderr)
    }
}
