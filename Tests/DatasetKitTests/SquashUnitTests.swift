@testable import DatasetKit
import XCTest

final class SquashUnitTests: XCTestCase {
    private let files = ["1", "2", "3", "4"].map { MigrationFile(version: $0, name: "m\($0)", path: "db/migrations/\($0)_m\($0).sql") }

    func testSelectionStopsAtTheFirstFileSomeProfileLacks() {
        let selection = SquashSelection.choose(files: files, datasets: [
            .init(name: "user-generated", pending: []),
            .init(name: "customer-a", pending: ["3"]),
            .init(name: "customer-b", pending: ["3", "4"]),
        ])
        XCTAssertEqual(selection.squashed.map(\.version), ["1", "2"])
        XCTAssertEqual(selection.kept.map(\.file.version), ["3", "4"])
        XCTAssertEqual(selection.kept[0].reason, "not applied in customer-a, customer-b")
        XCTAssertEqual(selection.kept[1].reason, "not applied in customer-b")
    }

    func testAFileAppliedEverywhereAfterAGapStaysToKeepTheOrder() {
        let selection = SquashSelection.choose(files: files, datasets: [
            .init(name: "source", pending: ["2"]), .init(name: "other", pending: []),
        ])
        XCTAssertEqual(selection.squashed.map(\.version), ["1"])
        XCTAssertEqual(selection.kept.map(\.reason), ["not applied in source", "applied everywhere, but follows 2, which stays",
                                                      "applied everywhere, but follows 2, which stays"])
        XCTAssertTrue(SquashSelection.choose(files: files, datasets: [.init(name: "s", pending: ["1"])]).squashed.isEmpty)
    }

    func testUnifiedDiffShowsChangedLinesWithContext() {
        let old = (1...10).map { "line \($0)" }.joined(separator: "\n") + "\n"
        let new = old.replacingOccurrences(of: "line 5\n", with: "line five\nline 5b\n")
        XCTAssertEqual(LineDiff.unified(from: old, to: new, fromLabel: "A", toLabel: "B"), """
            --- A
            +++ B
            @@ -2,7 +2,8 @@
             line 2
             line 3
             line 4
            -line 5
            +line five
            +line 5b
             line 6
             line 7
             line 8

            """)
        XCTAssertEqual(LineDiff.unified(from: old, to: old, fromLabel: "A", toLabel: "B"), "")
        let many = LineDiff.unified(from: "", to: (1...50).map(String.init).joined(separator: "\n"), fromLabel: "A", toLabel: "B", maxLines: 10)
        XCTAssertTrue(many.hasSuffix("… 41 more diff lines\n"), many)
    }

    func testDataDumpComparesRowsRegardlessOfOrder() {
        let dump = "COPY public.t (id, name) FROM stdin;\n2\tb\n1\ta\n\\.\nSELECT pg_catalog.setval('public.t_id_seq', 2, true);\n"
        let reordered = "COPY public.t (id, name) FROM stdin;\n1\ta\n2\tb\n\\.\nSELECT pg_catalog.setval('public.t_id_seq', 2, true);\n"
        XCTAssertNil(DataDump(dump).difference(from: DataDump(reordered)))
        let fewer = "COPY public.t (id, name) FROM stdin;\n1\ta\n\\.\nSELECT pg_catalog.setval('public.t_id_seq', 2, true);\n"
        XCTAssertEqual(DataDump(fewer).difference(from: DataDump(dump)), "public.t has 1 rows instead of 2")
        let changed = reordered.replacingOccurrences(of: "1\ta", with: "1\tz").replacingOccurrences(of: "2, true", with: "3, true")
        XCTAssertEqual(DataDump(changed).difference(from: DataDump(dump)),
                       "other values in public.t, sequence positions (defaults such as now() give new values on every load)")
    }
}
