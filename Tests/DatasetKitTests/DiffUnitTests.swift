@testable import DatasetKit
import Foundation
import XCTest

/// The pure parts of `dpm diff`: reading a side, comparing tables, media and migrations,
/// counting a schema's changed lines, and the refusal of two kinds of object id.
final class DiffUnitTests: XCTestCase {
    private func refusal(_ body: () throws -> Void) -> String? {
        do {
            try body()
            return nil
        } catch {
            XCTAssertEqual((error as? DPMError)?.kind, .invalidInput)
            return error.userMessage
        }
    }

    func testSidesAreAProfileAReferenceOrTheWorkingDatabase() throws {
        XCTAssertEqual(try DiffSide("ug"), .pinned(try ProfileName("ug")))
        XCTAssertEqual(try DiffSide("ug@contract-7"), .snapshot(try ProfileName("ug"), "contract-7"))
        XCTAssertEqual(try DiffSide("ug@20260601T09"), .snapshot(try ProfileName("ug"), "20260601T09"))
        XCTAssertEqual(try DiffSide("ug@20260601T090000Z-1a2b3c"), .snapshot(try ProfileName("ug"), "20260601T090000Z-1a2b3c"))
        XCTAssertEqual(try DiffSide("--working"), .working)
        XCTAssertEqual(try DiffSide("ug@contract-7").description, "ug@contract-7")
        XCTAssertEqual(try DiffSide("ug@contract-7").profile?.value, "ug")
        XCTAssertNil(DiffSide.working.profile)

        XCTAssertEqual(refusal { _ = try DiffSide("ug@") },
                       "\"ug@\" names no snapshot after the @; write ug@SNAPSHOT or ug@TAG, or ug alone for the snapshot its manifest pins.")
        XCTAssertEqual(refusal { _ = try DiffSide("@v1") }, "\"@v1\" names no profile before the @; each side is PROFILE, PROFILE@SNAPSHOT, PROFILE@TAG or --working.")
        XCTAssertEqual(refusal { _ = try DiffSide("--workin") }, "\"--workin\" is not an option of dpm diff; each side is PROFILE, PROFILE@SNAPSHOT, PROFILE@TAG or --working.")
        XCTAssertEqual(refusal { _ = try DiffSide("UG") }, "\"UG\" is not a valid profile name: \(ProfileName.rule).")
        XCTAssertEqual(refusal { _ = try DiffSide("ug@a/b") }?.hasPrefix("\"a/b\" is neither a snapshot id"), true)
        XCTAssertEqual(refusal { _ = try DiffSide("ug@v1@v2") }?.hasPrefix("\"v1@v2\" is neither a snapshot id"), true)
    }

    func testAPairIsTwoSidesNotBothWorking() throws {
        let (a, b) = try DiffSide.pair(["ug@v1", "--working"])
        XCTAssertEqual(a, .snapshot(try ProfileName("ug"), "v1"))
        XCTAssertEqual(b, .working)
        XCTAssertEqual(try DiffSide.pair(["--working", "ug"]).0, .working, "the order given is kept")
        XCTAssertEqual(refusal { _ = try DiffSide.pair(["--working", "--working"]) },
                       "Both sides are --working, which is one database and one media folder; compare it with a snapshot, as in \"dpm diff PROFILE --working\".")
        XCTAssertEqual(refusal { _ = try DiffSide.pair([]) }, "dpm diff compares two sides, each PROFILE, PROFILE@SNAPSHOT, PROFILE@TAG or --working, but none was given.")
        XCTAssertEqual(refusal { _ = try DiffSide.pair(["ug"]) }, "dpm diff compares two sides, each PROFILE, PROFILE@SNAPSHOT, PROFILE@TAG or --working, but only one was given (ug).")
        XCTAssertEqual(refusal { _ = try DiffSide.pair(["a", "b", "c"]) }, "dpm diff compares two sides, each PROFILE, PROFILE@SNAPSHOT, PROFILE@TAG or --working, but 3 were given (a b c).")
        XCTAssertEqual(refusal { _ = try DiffSide.pair(["ug", "--exit-code"]) }?.hasPrefix("\"--exit-code\" is not an option of dpm diff"), true)
        XCTAssertEqual(refusal { _ = try DiffSide.pair(["ug", "ug@", "x"]) }?.hasPrefix("dpm diff compares two sides"), true)
    }

    private func figures(_ rows: Int64, _ id: String) -> TableFigures { TableFigures(rows: rows, bytes: rows * 10, id: id) }

    func testTablesAreAddedRemovedOrChangedByTheirDataObjectID() {
        let before = ["public.a": figures(1, "a1"), "public.b": figures(2, "b1"), "public.c": figures(3, "c1")]
        let after = ["public.b": figures(2, "b2"), "public.c": figures(3, "c1"), "public.d": figures(4, "d1")]
        let diff = DiffComparison.tables(before, after, comparedBy: "sha256")
        XCTAssertEqual(diff.tables.map(\.table), ["public.a", "public.b", "public.c", "public.d"], "every table, by name")
        XCTAssertEqual(diff.tables.map(\.status), [.removed, .changed, .unchanged, .added])
        XCTAssertEqual([diff.added, diff.removed, diff.changed, diff.unchanged], [1, 1, 1, 1])
        XCTAssertEqual(diff.tables[1].before, figures(2, "b1"))
        XCTAssertEqual(diff.tables[1].after, figures(2, "b2"), "same rows and bytes, other content: changed")
        XCTAssertNil(diff.tables[0].after)
        XCTAssertNil(diff.tables[3].before)
        XCTAssertFalse(diff.isIdentical)
        XCTAssertEqual(diff.comparedBy, "sha256")

        let same = DiffComparison.tables(before, before, comparedBy: "hmac-sha256")
        XCTAssertTrue(same.isIdentical)
        XCTAssertEqual(same.unchanged, 3)
        // Equal ids mean equal content whatever the figures say (they cannot differ then, but ids decide).
        XCTAssertEqual(DiffComparison.tables(["t": figures(1, "x")], ["t": TableFigures(rows: 9, bytes: 9, id: "x")], comparedBy: "sha256").changed, 0)
        XCTAssertTrue(DiffComparison.tables([:], [:], comparedBy: "sha256").tables.isEmpty)
    }

    func testMediaFilesDifferByContentOrPermissionBitsAndOnlyDifferencesAreListed() {
        let before = ["a.txt": MediaFigures(size: 5, mode: 0o644, id: "1"), "b.txt": MediaFigures(size: 5, mode: 0o644, id: "2"),
                      "c.txt": MediaFigures(size: 1, mode: 0o644, id: "3"), "gone": MediaFigures(size: 0, mode: 0o644, id: "4")]
        let after = ["a.txt": MediaFigures(size: 5, mode: 0o644, id: "1"), "b.txt": MediaFigures(size: 5, mode: 0o600, id: "2"),
                     "c.txt": MediaFigures(size: 7, mode: 0o644, id: "5"), "new/x.bin": MediaFigures(size: 9, mode: 0o644, id: "6")]
        let diff = DiffComparison.media(before, after)
        XCTAssertTrue(diff.compared)
        XCTAssertEqual(diff.files.map(\.path), ["b.txt", "c.txt", "gone", "new/x.bin"])
        XCTAssertEqual(diff.files.map(\.status), [.changed, .changed, .removed, .added])
        XCTAssertEqual([diff.added, diff.removed, diff.changed, diff.unchanged], [1, 1, 2, 1])
        XCTAssertTrue(DiffComparison.media(before, before).isIdentical)
        XCTAssertEqual(MediaDiff.notCompared("why").notCompared, "why")
    }

    func testMigrationsListTheVersionsOnlyOneSideApplied() {
        let before = [MigrationState(table: "schema_migrations", versions: ["1", "2", "3"], tool: "rails/dbmate"),
                      MigrationState(table: "alembic_version", versions: ["abc"], tool: "alembic", latestOnly: true)]
        let after = [MigrationState(table: "schema_migrations", versions: ["1", "3", "4", "10"], tool: "rails/dbmate"),
                     MigrationState(table: "dpm_migrations", versions: ["7"], tool: "dpm")]
        let diff = DiffComparison.migrations(before, after)
        XCTAssertEqual(diff.map(\.table), ["schema_migrations", "alembic_version", "dpm_migrations"], "dpm's order of tracking tables")
        XCTAssertEqual(diff[0].onlyBefore, ["2"])
        XCTAssertEqual(diff[0].onlyAfter, ["4", "10"])
        XCTAssertEqual(diff[0].latestBefore, "3")
        XCTAssertEqual(diff[0].latestAfter, "10", "versions compare as numbers")
        XCTAssertEqual([diff[0].appliedBefore, diff[0].appliedAfter], [3, 4])
        XCTAssertEqual(diff[1].onlyBefore, ["abc"])
        XCTAssertEqual(diff[1].appliedAfter, 0)
        XCTAssertNil(diff[1].latestAfter)
        XCTAssertEqual(diff[2].onlyAfter, ["7"])
        XCTAssertEqual(diff[2].tool, "dpm")
        XCTAssertFalse(diff[0].isIdentical)
        XCTAssertTrue(DiffComparison.migrations(before, before).allSatisfy(\.isIdentical))
        XCTAssertTrue(DiffComparison.migrations([], []).isEmpty)
    }

    func testTheSchemaDiffIsUnifiedAndCountsEveryChangedLine() {
        let before = "CREATE TABLE a (\n    id integer\n);\n\nCREATE TABLE b (\n    id integer\n);\n"
        let after = "CREATE TABLE a (\n    id integer,\n    note text\n);\n\nCREATE TABLE b (\n    id integer\n);\n"
        let schema = SchemaDifference(before: before, after: after, beforeLabel: "ug@1", afterLabel: "ug@2")
        XCTAssertFalse(schema.identical)
        XCTAssertEqual(schema.linesAdded, 2)
        XCTAssertEqual(schema.linesRemoved, 1)
        XCTAssertEqual(schema.unified, ["--- ug@1", "+++ ug@2", "@@ -1,5 +1,6 @@", " CREATE TABLE a (", "-    id integer", "+    id integer,",
                                        "+    note text", " );", " ", " CREATE TABLE b ("].joined(separator: "\n") + "\n")
        let same = SchemaDifference(before: before, after: before, beforeLabel: "a", afterLabel: "b")
        XCTAssertTrue(same.identical)
        XCTAssertEqual(same.unified, "")
        // Counted over the whole texts, not only what `unified` would print by default.
        let long = (0..<500).map { "line \($0)" }.joined(separator: "\n") + "\n"
        XCTAssertEqual(LineDiff.changes(from: "", to: long).added, 500)
        XCTAssertEqual(LineDiff.changes(from: long, to: "").removed, 500)
        XCTAssertEqual(SchemaDifference(before: "", after: long, beforeLabel: "a", afterLabel: "b").unified.split(separator: "\n").count, 503,
                       "the whole diff, with its two headers and one hunk header")
    }

    private func snapshot(_ id: String, objectIDs: String?) -> Snapshot {
        var snapshot = SnapshotFormatTests.sampleSnapshot()
        snapshot.id = id
        snapshot.objectIDs = objectIDs
        return snapshot
    }

    func testSnapshotsWithTwoKindsOfObjectIDAreNotCompared() throws {
        let plain = SnapshotDiff.Resolved.snapshot(ResolvedSnapshot(snapshot: snapshot("20260101T000000Z-aaaaaa", objectIDs: nil), tag: nil), .working)
        let keyed = SnapshotDiff.Resolved.snapshot(ResolvedSnapshot(snapshot: snapshot("20260102T000000Z-bbbbbb", objectIDs: "hmac-sha256"), tag: nil), .working)
        XCTAssertEqual(refusal { try SnapshotDiff.requireOneKindOfID(plain, keyed) },
                       "Snapshot 20260101T000000Z-aaaaaa of user-generated names its objects by SHA-256 ids (a plaintext store's) and snapshot 20260102T000000Z-bbbbbb of user-generated by hmac-sha256 ids (an encrypted store's), so their tables and media cannot be compared: they come from two different kinds of store; compare snapshots of one store.")
        XCTAssertNil(refusal { try SnapshotDiff.requireOneKindOfID(plain, plain) })
        XCTAssertNil(refusal { try SnapshotDiff.requireOneKindOfID(keyed, keyed) })
        XCTAssertNil(refusal { try SnapshotDiff.requireOneKindOfID(keyed, .working) }, "the working side is hashed as the store names objects")
    }

    func testAReportIsIdenticalOnlyWhenEveryPartIs() {
        let side = DiffSideSummary(side: "ug", profile: "ug", snapshot: "20260101T000000Z-aaaaaa")
        XCTAssertEqual(side.label, "ug@20260101T000000Z-aaaaaa")
        XCTAssertEqual(DiffSideSummary(side: "--working", database: "app_dev").label, "working database app_dev")
        let contents = DiffContents(summary: side, schema: "x\n", tables: ["t": figures(1, "a")], media: nil, noMedia: "ug has none",
                                    migrations: [MigrationState(table: "schema_migrations", versions: ["1"])])
        let same = SnapshotDiff.report(contents, contents, comparedBy: "sha256")
        XCTAssertTrue(same.identical)
        XCTAssertFalse(same.media.compared)
        XCTAssertEqual(same.media.notCompared, "ug has none; ug has none")
        var other = contents
        other.migrations = [MigrationState(table: "schema_migrations", versions: ["1", "2"])]
        XCTAssertFalse(SnapshotDiff.report(contents, other, comparedBy: "sha256").identical)
        other = contents
        other.schema = "y\n"
        XCTAssertFalse(SnapshotDiff.report(contents, other, comparedBy: "sha256").identical)
        other = contents
        other.tables["t"] = figures(1, "b")
        XCTAssertFalse(SnapshotDiff.report(contents, other, comparedBy: "sha256").identical)
        other = contents
        other.media = [:]
        other.noMedia = nil
        XCTAssertEqual(SnapshotDiff.report(contents, other, comparedBy: "sha256").media.notCompared, "ug has none", "only the side without media")
    }
}
