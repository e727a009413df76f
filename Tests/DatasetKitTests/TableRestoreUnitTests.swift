@testable import DatasetKit
import XCTest

/// What `restore --table` reads of a snapshot's table of contents, which tables its patterns
/// choose, and how a target table's columns are compared with the snapshot's.
final class TableRestoreUnitTests: XCTestCase {
    private var nextId = 0
    private var artifacts: [Artifact] = []

    private func entry(_ desc: String, _ tag: String, _ defn: String, schema: String = "public", copy: String? = nil) -> ArchiveEntry {
        nextId += 1
        return ArchiveEntry(dumpId: nextId, hadDumper: desc == "TABLE DATA", tag: tag, desc: desc,
                            section: desc == "TABLE DATA" ? .data : .preData, defn: defn, copyStmt: copy, namespace: schema)
    }

    /// A table with an id and a name, and (unless `rows` is false) its data entry and data file.
    private func table(_ name: String, schema: String = "public", rows: Bool = true) -> [ArchiveEntry] {
        var entries = [entry("TABLE", name, "CREATE TABLE \(schema).\(name) (\n    id integer NOT NULL,\n    name text\n);\n", schema: schema)]
        if rows {
            let data = entry("TABLE DATA", name, "", schema: schema, copy: "COPY \(schema).\(name) (id, name) FROM stdin;\n")
            entries.append(data)
            artifacts.append(Artifact(path: "\(data.dumpId).dat", sha256: String(repeating: "a", count: 64), size: 10, storedSize: 5,
                                      table: "\(schema).\(name)", rows: 1))
        }
        return entries
    }

    private func q(_ text: String) -> QualifiedTable {
        let parts = text.split(separator: ".").map(String.init)
        return QualifiedTable(schema: parts[0], table: parts[1])
    }

    /// A pricing schema: two re_ tables, orders, a table whose rows the profile leaves out, a
    /// partitioned table with two partitions, and a table in another schema.
    private func pricing() throws -> SnapshotTables {
        var entries = table("re_rates") + table("re_zones") + table("orders") + table("audit_log", rows: false) + table("re_rates", schema: "archive")
        entries.append(entry("TABLE", "events", "CREATE TABLE public.events (\n    id integer NOT NULL,\n    at date NOT NULL\n)\nPARTITION BY RANGE (at);\n"))
        for year in ["2025", "2026"] {
            entries.append(entry("TABLE", "events_\(year)", "CREATE TABLE public.events_\(year) (\n    id integer NOT NULL,\n    at date NOT NULL\n);\n"))
            entries.append(entry("TABLE ATTACH", "events_\(year)",
                                 "ALTER TABLE ONLY public.events ATTACH PARTITION public.events_\(year) FOR VALUES FROM ('\(year)-01-01') TO ('\(year)-12-31');\n"))
            let data = entry("TABLE DATA", "events_\(year)", "", copy: "COPY public.events_\(year) (id, at) FROM stdin;\n")
            entries.append(data)
            artifacts.append(Artifact(path: "\(data.dumpId).dat", sha256: String(repeating: "b", count: 64), size: 10, storedSize: 5))
        }
        entries.append(entry("SEQUENCE SET", "re_rates_id_seq", "SELECT pg_catalog.setval('public.re_rates_id_seq', 300, true);\n"))
        entries.append(entry("SEQUENCE SET", "re_zones_id_seq", "SELECT pg_catalog.setval('public.re_zones_id_seq', 1, false);\n"))
        entries.append(entry("ENCODING", "ENCODING", "SET client_encoding = 'LATIN1';\n", schema: ""))
        return try SnapshotTables(entries: entries, dataFiles: [:], artifacts: artifacts, snapshotID: "S")
    }

    private func choose(_ include: [String], exclude: [String] = []) throws -> [String] {
        try TableSelection.choose(include: include, exclude: exclude, from: try pricing(), snapshotID: "S").map(\.description)
    }

    private func refusal(_ include: [String], exclude: [String] = []) -> String {
        do {
            _ = try choose(include, exclude: exclude)
            return "chosen"
        } catch {
            return (error as? DPMError)?.message ?? "\(error)"
        }
    }

    func testTheTableOfContentsGivesDataStatementsSequencesAndEncoding() throws {
        let tables = try pricing()
        XCTAssertEqual(tables.data[q("public.re_rates")]?.copyStatement, "COPY public.re_rates (id, name) FROM stdin;")
        XCTAssertEqual(tables.data[q("public.re_rates")]?.artifact.table, "public.re_rates")
        XCTAssertNil(tables.data[q("public.audit_log")], "its rows were left out")
        XCTAssertEqual(tables.sequences[q("public.re_rates_id_seq")], .init(value: "300", isCalled: true))
        XCTAssertEqual(tables.sequences[q("public.re_zones_id_seq")], .init(value: "1", isCalled: false))
        XCTAssertEqual(tables.encoding, "LATIN1")
        XCTAssertEqual(tables.catalog.columns[q("public.re_zones")]?.map(\.name), ["id", "name"])
        XCTAssertNil(SnapshotTables.position("SELECT pg_catalog.setval('x', 1, true); DROP TABLE y;"))
        XCTAssertEqual(SnapshotTables.position("SELECT pg_catalog.setval('public.\"it''s\"', -5, false);\n"), .init(value: "-5", isCalled: false))
        XCTAssertNil(SnapshotTables.encoding("SET client_encoding = 'UTF8'; SELECT 1;"))
    }

    func testADataFileTheRecordLacksIsCorrupt() {
        let entries = [entry("TABLE", "t", "CREATE TABLE public.t (\n    id integer\n);\n"), entry("TABLE DATA", "t", "", copy: "COPY public.t (id) FROM stdin;\n")]
        XCTAssertThrowsError(try SnapshotTables(entries: entries, dataFiles: [:], artifacts: [], snapshotID: "S")) { error in
            XCTAssertEqual((error as? DPMError)?.message, "Snapshot S lacks 2.dat, the data of public.t its dump lists; its tables cannot be restored.")
        }
    }

    func testPatternsMatchAsTheProfileFiltersDo() throws {
        XCTAssertEqual(try choose(["re_*"]), ["archive.re_rates", "public.re_rates", "public.re_zones"], "a bare name matches in every schema")
        XCTAssertEqual(try choose(["public.re_*"]), ["public.re_rates", "public.re_zones"])
        XCTAssertEqual(try choose(["RE_ZONES"]), ["public.re_zones"], "unquoted letters fold to lower case")
        XCTAssertEqual(try choose(["re_?ates", "orders"]), ["archive.re_rates", "public.orders", "public.re_rates"])
        XCTAssertEqual(try choose(["re_*"], exclude: ["archive.*", "re_zones"]), ["public.re_rates"])
        XCTAssertEqual(try choose(["re_rates", "public.re_rates"]), ["archive.re_rates", "public.re_rates"], "each table once")
    }

    func testAPartitionedTableStandsForItsPartitions() throws {
        XCTAssertEqual(try choose(["events"]), ["public.events_2025", "public.events_2026"])
        XCTAssertEqual(try choose(["events"], exclude: ["events_2025"]), ["public.events_2026"])
        XCTAssertEqual(try choose(["events_2026"]), ["public.events_2026"])
    }

    func testPatternsMatchingNothingNameCloseTables() {
        XCTAssertEqual(refusal(["re_ratse"]), "No table of snapshot S matches --table re_ratse (close names: archive.re_rates, public.re_rates); nothing was changed.")
        XCTAssertEqual(refusal(["public.re_zone"]), "No table of snapshot S matches --table public.re_zone (close names: public.re_zones); nothing was changed.")
        XCTAssertEqual(refusal(["re_*"], exclude: ["re_zonez"]), "No table of snapshot S matches --exclude-table re_zonez (close names: public.re_zones); nothing was changed.")
        XCTAssertEqual(refusal(["invoices"]), "No table of snapshot S matches --table invoices (its tables: archive.re_rates, public.audit_log, public.events, public.events_2025, public.events_2026, public.orders, public.re_rates, public.re_zones); nothing was changed.")
        XCTAssertEqual(refusal(["re_zones"], exclude: ["re_*"]), "--exclude-table leaves none of the tables --table chose; nothing was changed.")
        XCTAssertEqual(refusal(["audit_*"]), "Snapshot S holds no rows of public.audit_log (its profile's filters left its data out), so they cannot be restored; leave it out with --exclude-table public.audit_log; nothing was changed.")
    }

    func testTheFirstColumnDifferenceIsNamed() {
        let snapshot = [TableColumns.Column(name: "id", type: "bigint", notNull: true), .init(name: "price", type: "numeric(10,2)", notNull: true),
                        .init(name: "note", type: "text")]
        func difference(_ target: [TableColumns.Column]) -> String? { TableShapeCheck.firstDifference(snapshot: snapshot, target: target, database: "dev") }
        XCTAssertNil(difference(snapshot))
        XCTAssertEqual(difference(snapshot + [.init(name: "discount", type: "numeric")]), "dev has a column \"discount\" (numeric) the snapshot lacks")
        XCTAssertEqual(difference(Array(snapshot.prefix(2))), "dev lacks the snapshot's column \"note\" (text)")
        XCTAssertEqual(difference([snapshot[0], .init(name: "discount", type: "numeric"), snapshot[1], snapshot[2]]),
                       "dev has a column \"discount\" (numeric) the snapshot lacks")
        XCTAssertEqual(difference([snapshot[0], snapshot[2]]), "dev lacks the snapshot's column \"price\" (numeric(10,2))")
        XCTAssertEqual(difference([snapshot[0], snapshot[2], snapshot[1]]), "column 2 is \"price\" in the snapshot but \"note\" in dev")
        XCTAssertEqual(difference([snapshot[0], .init(name: "price", type: "integer", notNull: true), snapshot[2]]),
                       "column \"price\" is numeric(10,2) in the snapshot but integer in dev")
        XCTAssertEqual(difference([snapshot[0], .init(name: "price", type: "numeric(10,2)"), snapshot[2]]),
                       "column \"price\" is NOT NULL in the snapshot but nullable in dev")
    }

    func testAMissingOrDifferentTableIsRefusedByName() {
        let snapshot = TableColumns(columns: [q("public.a"): [.init(name: "id", type: "integer")], q("public.b"): [.init(name: "id", type: "integer")]])
        let target = TableColumns(columns: [q("public.a"): [.init(name: "id", type: "integer")], q("public.b"): [.init(name: "id", type: "bigint")]])
        XCTAssertNoThrow(try TableShapeCheck.check([q("public.a")], snapshot: snapshot, target: target, database: "dev", snapshotID: "S"))
        XCTAssertThrowsError(try TableShapeCheck.check([q("public.a"), q("public.b")], snapshot: snapshot, target: target, database: "dev", snapshotID: "S")) {
            XCTAssertEqual(($0 as? DPMError)?.message, "The table public.b of dev differs from snapshot S's: column \"id\" is integer in the snapshot but bigint in dev; nothing was changed (restore the whole profile into another database, or migrate one of them to match).")
        }
        XCTAssertThrowsError(try TableShapeCheck.check([q("public.c")], snapshot: snapshot, target: target, database: "dev", snapshotID: "S")) {
            XCTAssertEqual(($0 as? DPMError)?.message, "The database dev has no table public.c, which snapshot S holds rows of; nothing was changed.")
        }
    }
}
