@testable import DatasetKit
import XCTest

final class RestoreScheduleTests: XCTestCase {
    /// `pg_restore --list --verbose` of the benchmark schema, cut down: two tables, one
    /// referencing the other, a sequence, indexes, and a materialized view.
    private let listing = """
    ;
    ; Archive created at 2026-11-22 07:39:17 UTC
    ;     dbname: bench
    ;
    ; Selected TOC Entries:
    ;
    217; 1259 16414 TABLE public customers postgres
    216; 1259 16413 SEQUENCE public customers_id_seq postgres
    ;\tdepends on: 217
    224; 1259 16443 TABLE public documents postgres
    230; 1259 16500 MATERIALIZED VIEW public recent postgres
    ;\tdepends on: 224
    3388; 0 16414 TABLE DATA public customers postgres
    ;\tdepends on: 217
    3395; 0 16443 TABLE DATA public documents postgres
    ;\tdepends on: 224
    3402; 0 0 SEQUENCE SET public customers_id_seq postgres
    ;\tdepends on: 216
    3231; 2606 73492 CONSTRAINT public customers customers_pkey postgres
    ;\tdepends on: 217
    3241; 2606 73513 CONSTRAINT public documents documents_pkey postgres
    ;\tdepends on: 224
    3229; 1259 73493 INDEX public customers_email_key postgres
    ;\tdepends on: 217
    3237; 1259 73511 INDEX public documents_title_idx postgres
    ;\tdepends on: 224 224
    3244; 2606 73514 FK CONSTRAINT public documents documents_customer_id_fkey postgres
    ;\tdepends on: 217 224 3231
    3250; 0 16500 MATERIALIZED VIEW DATA public recent postgres
    ;\tdepends on: 230
    3251; 1259 73600 INDEX public recent_idx postgres
    ;\tdepends on: 3250
    """

    private var restorable: Set<Int> { [3388, 3395, 3402, 3231, 3241, 3229, 3237, 3244, 3250, 3251] }

    func testListingKeepsKindsOfSeveralWordsAndDependencies() {
        let entries = DumpListing.entries(listing)
        XCTAssertEqual(entries.count, 14)
        XCTAssertEqual(entries.first { $0.id == 3244 }, DumpEntry(id: 3244, desc: "FK CONSTRAINT", dependencies: [217, 224, 3231],
                                                                  subject: "public documents documents_customer_id_fkey postgres"))
        XCTAssertEqual(entries.first { $0.id == 3250 }?.desc, "MATERIALIZED VIEW DATA")
        XCTAssertEqual(entries.first { $0.id == 230 }?.desc, "MATERIALIZED VIEW")
        XCTAssertEqual(entries.first { $0.id == 3402 }?.desc, "SEQUENCE SET")
        XCTAssertEqual(entries.first { $0.id == 217 }, DumpEntry(id: 217, desc: "TABLE", dependencies: [], subject: "public customers postgres"))
        XCTAssertEqual(DumpListing.listFile([3, 14]), "3;\n14;\n")
    }

    func testCopyStatementsAndSessionSettingsAreReadFromTheScript() {
        let script = """
        --
        -- PostgreSQL database dump
        --

        \\restrict abc
        SET statement_timeout = 0;
        SET client_encoding = 'LATIN1';
        SELECT pg_catalog.set_config('search_path', '', false);

        --
        -- Data for Name: customers; Type: TABLE DATA; Schema: public; Owner: -
        --

        COPY public.customers (id, email) FROM stdin;
        SET default_tablespace = '';
        COPY public."odd name" (id) FROM stdin;
        \\unrestrict abc
        """
        let parsed = DataLoadScript.parse(script)
        XCTAssertEqual(parsed.settings, ["SET statement_timeout = 0;", "SET client_encoding = 'LATIN1';",
                                         "SELECT pg_catalog.set_config('search_path', '', false);"])
        XCTAssertEqual(parsed.copyStatements, ["COPY public.customers (id, email) FROM stdin;", "COPY public.\"odd name\" (id) FROM stdin;"])
    }

    /// Runs the schedule to the end with `workers` workers that finish work in the order
    /// they took it; returns the work in the order it started.
    private func run(_ schedule: inout RestoreSchedule, workers: Int) -> [RestoreSchedule.Work] {
        var started: [RestoreSchedule.Work] = []
        var running: [RestoreSchedule.Work] = []
        var steps = 0
        while !schedule.isFinished, steps < 1000 {
            steps += 1
            while running.count < workers, let work = schedule.next(workers: workers) {
                started.append(work)
                running.append(work)
            }
            XCTAssertFalse(schedule.isStuck)
            guard !running.isEmpty else { break }
            schedule.finished(running.removeFirst())
        }
        return started
    }

    func testBiggestTableStartsFirstAndItsIndexesWaitOnlyForItsOwnData() {
        var schedule = RestoreSchedule(entries: DumpListing.entries(listing), restorable: restorable,
                                       dataSizes: [3388: 40 << 20, 3395: 400 << 20])
        XCTAssertEqual(schedule.lastPass, [3250, 3251], "the refresh, and the index that depends on it, go last")
        XCTAssertEqual(schedule.next(workers: 2), .tableData(3395))
        XCTAssertEqual(schedule.next(workers: 2), .tableData(3388))
        XCTAssertEqual(schedule.next(workers: 2), .entries([3402]), "the sequence needs no table data")
        XCTAssertNil(schedule.next(workers: 2), "every index waits for its table's data")
        schedule.finished(.tableData(3388))
        XCTAssertEqual(schedule.next(workers: 2), .entries([3231]), "customers' key while documents still loads")
    }

    func testEveryUnitRunsOnceAfterItsDependencies() {
        var schedule = RestoreSchedule(entries: DumpListing.entries(listing), restorable: restorable,
                                       dataSizes: [3388: 40 << 20, 3395: 400 << 20])
        let started = run(&schedule, workers: 2)
        var order: [Int] = []
        for work in started {
            switch work {
            case .tableData(let id): order.append(id)
            case .entries(let ids): order += ids
            }
        }
        XCTAssertEqual(Set(order), restorable.subtracting([3250, 3251]))
        XCTAssertEqual(order.count, Set(order).count, "no unit runs twice")
        func position(_ id: Int) -> Int { order.firstIndex(of: id)! }
        XCTAssertLessThan(position(3395), position(3241), "documents_pkey after documents' data")
        XCTAssertLessThan(position(3395), position(3237))
        XCTAssertLessThan(position(3388), position(3231))
        XCTAssertLessThan(position(3231), position(3244), "the foreign key after the key it references")
        XCTAssertLessThan(position(3395), position(3244))
    }

    func testConstraintsNeverRunBesideWorkOnTheirTables() {
        // documents_pkey locks documents; documents_title_idx uses it: never both at once.
        let entries = DumpListing.entries(listing)
        var schedule = RestoreSchedule(entries: entries, restorable: [3395, 3241, 3237], dataSizes: [3395: 400 << 20])
        XCTAssertEqual(schedule.next(workers: 2), .tableData(3395))
        XCTAssertNil(schedule.next(workers: 2), "nothing else is ready while the data loads")
        schedule.finished(.tableData(3395))
        let first = schedule.next(workers: 2)
        XCTAssertEqual(first, .entries([3241]), "the constraint first: it comes first in the dump and weighs the same")
        XCTAssertNil(schedule.next(workers: 2), "the index waits: the constraint holds its table")
        schedule.finished(first!)
        XCTAssertEqual(schedule.next(workers: 2), .entries([3237]))
    }

    func testCheapEntriesShareOnePgRestoreAmongTheWorkers() {
        var entries = [DumpEntry(id: 1, desc: "TABLE"), DumpEntry(id: 2, desc: "TABLE DATA", dependencies: [1])]
        entries += (10..<20).map { DumpEntry(id: $0, desc: "INDEX", dependencies: [1]) }
        var schedule = RestoreSchedule(entries: entries, restorable: Set([2] + Array(10..<20)), dataSizes: [2: 1000])
        XCTAssertEqual(schedule.next(workers: 2), .tableData(2))
        schedule.finished(.tableData(2))
        XCTAssertEqual(schedule.next(workers: 2), .entries(Array(10..<15)))
        XCTAssertEqual(schedule.next(workers: 2), .entries(Array(15..<18)), "half of what is left")
    }

    func testACycleIsReportedAsStuck() {
        let entries = [DumpEntry(id: 1, desc: "INDEX", dependencies: [2]), DumpEntry(id: 2, desc: "INDEX", dependencies: [1])]
        var schedule = RestoreSchedule(entries: entries, restorable: [1, 2], dataSizes: [:])
        XCTAssertNil(schedule.next(workers: 2))
        XCTAssertTrue(schedule.isStuck)
    }

    func testEntrySQLCarriesTheTablespaceInForceAtItsPlace() throws {
        let script = """
        --
        -- PostgreSQL database dump
        --

        SET client_encoding = 'UTF8';
        SELECT pg_catalog.set_config('search_path', '', false);

        --
        -- Name: customers_id_seq; Type: SEQUENCE SET; Schema: public; Owner: -
        --

        SELECT pg_catalog.setval('public.customers_id_seq', 217424, true);


        SET default_tablespace = '';

        --
        -- Name: customers customers_pkey; Type: CONSTRAINT; Schema: public; Owner: -
        --

        ALTER TABLE ONLY public.customers
            ADD CONSTRAINT customers_pkey PRIMARY KEY (id);


        --
        -- Name: events_occurred_idx; Type: INDEX; Schema: public; Owner: -
        --

        CREATE INDEX events_occurred_idx ON public.events USING btree (occurred_at);


        --
        -- PostgreSQL database dump complete
        --

        \\unrestrict abc
        """
        let entries = try XCTUnwrap(EntryScript.parse(script, count: 3))
        XCTAssertEqual(entries[0], EntryScript.Entry(name: "SEQUENCE SET customers_id_seq",
                                                     sql: "SELECT pg_catalog.setval('public.customers_id_seq', 217424, true);\n"))
        XCTAssertEqual(entries[1].name, "CONSTRAINT customers customers_pkey")
        XCTAssertEqual(entries[1].sql, "SET default_tablespace = '';\nALTER TABLE ONLY public.customers\n    ADD CONSTRAINT customers_pkey PRIMARY KEY (id);\n")
        XCTAssertEqual(entries[2].sql, "SET default_tablespace = '';\nCREATE INDEX events_occurred_idx ON public.events USING btree (occurred_at);\n",
                       "the setting stays in force for the entries after it")
        XCTAssertNil(EntryScript.parse(script, count: 4), "a script that does not split into the entries asked for is not used")
        XCTAssertEqual(DataLoadScript.parse(script).settings, ["SET client_encoding = 'UTF8';", "SELECT pg_catalog.set_config('search_path', '', false);"],
                       "session settings are those before the first entry")
    }
}
