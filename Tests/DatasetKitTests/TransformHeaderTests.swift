@testable import DatasetKit
import XCTest

/// The `-- dpm:batch` line of a transform file and its statement's placeholders.
final class TransformHeaderTests: XCTestCase {
    private func header(_ line: String) throws -> TransformHeader {
        try TransformHeader.parse("-- a comment first\n\(line)\nUPDATE t SET a = 1 WHERE id >= :batch_start AND id < :batch_end;\n", file: "x.sql")
    }

    private func refusal(_ line: String, file: StaticString = #filePath, line number: UInt = #line) -> String {
        do {
            _ = try header(line)
            XCTFail("\(line) was accepted", file: file, line: number)
            return ""
        } catch let error as DPMError {
            XCTAssertEqual(error.kind, .invalidInput, file: file, line: number)
            return error.message
        } catch {
            XCTFail("\(error)", file: file, line: number)
            return ""
        }
    }

    func testTheIssuesHeader() throws {
        XCTAssertEqual(try header("-- dpm:batch table=public.users key=id size=5000 pause=100ms"),
                       TransformHeader(table: "public.users", key: "id", size: 5000, pause: 0.1))
    }

    func testSizeAndPauseHaveDefaultsAndSettingsAnyOrderAndSpacing() throws {
        XCTAssertEqual(try header("  -- dpm:batch   key=id\ttable=users  "), TransformHeader(table: "users", key: "id", size: 1000, pause: 0))
        XCTAssertEqual(try header("-- dpm:batch pause=2s key=k table=s.t size=1").pause, 2)
        XCTAssertEqual(try header("-- dpm:batch pause=1.5m key=k table=t").pause, 90)
        XCTAssertEqual(try header("-- dpm:batch pause=0 key=k table=t").pause, 0)
    }

    func testEachBadHeaderIsOneSentenceThatSaysWhat() {
        XCTAssertTrue(refusal("-- nothing here").contains("has no \"-- dpm:batch table=<table> key=<column>\" line"))
        XCTAssertTrue(refusal("-- dpm:batch table=t").contains("lacks key="))
        XCTAssertTrue(refusal("-- dpm:batch key=id").contains("lacks table="))
        XCTAssertTrue(refusal("-- dpm:batch").contains("lacks table= and key="))
        XCTAssertTrue(refusal("-- dpm:batch table=t key=id colour=red").contains("unknown setting colour="))
        XCTAssertTrue(refusal("-- dpm:batch table=t key=id key=other").contains("sets key= twice"))
        XCTAssertTrue(refusal("-- dpm:batch table=t key=id size").contains("\"size\" in the -- dpm:batch line is not setting=value"))
        XCTAssertTrue(refusal("-- dpm:batch table=t key=").contains("\"key=\" in the -- dpm:batch line is not setting=value"))
        XCTAssertTrue(refusal("-- dpm:batchtable=t key=id").contains("is not a \"-- dpm:batch"))
        for size in ["0", "-5", "1.5", "ten", "1e3"] {
            XCTAssertTrue(refusal("-- dpm:batch table=t key=id size=\(size)").contains("size=\(size) in the -- dpm:batch line is not a batch size"), size)
        }
        for pause in ["5", "fast", "-1s", "1h", "ms", "1e3ms", "infs"] {
            XCTAssertTrue(refusal("-- dpm:batch table=t key=id pause=\(pause)").contains("pause=\(pause) in the -- dpm:batch line is not a duration"), pause)
        }
        let twice = (try? TransformHeader.parse("-- dpm:batch table=t key=id\n-- dpm:batch table=u key=id\n", file: "x.sql")) == nil
        XCTAssertTrue(twice, "two header lines are refused")
    }

    func testPlaceholdersBecomeParametersOutsideLiteralsAndComments() throws {
        let text = """
            -- dpm:batch table=t key=id  (:batch_start in a comment stays)
            UPDATE t SET note = ':batch_end' || E'\\':batch_start' || "odd:batch_end" || $q$:batch_start$q$ || id::text /* :batch_end /* nested */ :batch_end */
             WHERE id >= :batch_start AND id < :batch_end AND arr[1:2] IS NOT NULL
            """
        let sql = try BatchStatement(text, file: "x.sql").sql
        XCTAssertEqual(sql, """
            -- dpm:batch table=t key=id  (:batch_start in a comment stays)
            UPDATE t SET note = ':batch_end' || E'\\':batch_start' || "odd:batch_end" || $q$:batch_start$q$ || id::text /* :batch_end /* nested */ :batch_end */
             WHERE id >= $1 AND id < $2 AND arr[1:2] IS NOT NULL
            """)
    }

    func testAStatementMustUseBothPlaceholdersAndNoOthers() {
        func message(_ statement: String) -> String? {
            do { _ = try BatchStatement(statement, file: "x.sql"); return nil } catch { return error.userMessage }
        }
        XCTAssertEqual(message("UPDATE t SET a = 1 WHERE id >= :batch_start"),
                       "x.sql's statement does not use :batch_end; it must select its rows with key >= :batch_start AND key < :batch_end.")
        XCTAssertTrue(message("UPDATE t SET a = ':batch_start' WHERE true -- :batch_end")?.contains("does not use :batch_start and :batch_end") == true)
        XCTAssertTrue(message("UPDATE t SET a = 1 WHERE id >= :batch_start AND id < :batch_stop")?.contains("uses :batch_stop, which dpm does not know") == true)
        XCTAssertTrue(message("UPDATE t SET a = $1 WHERE id >= :batch_start AND id < :batch_end")?.contains("uses the parameter $1") == true)
        XCTAssertNil(message("UPDATE t SET a = $$x$1$$ WHERE id >= :batch_start AND id < :batch_end"), "$1 inside a dollar quote is text")
    }

    func testTheKeyIsANameAsSQLReadsIt() {
        XCTAssertEqual(TransformTarget.columnName("ID"), "id")
        XCTAssertEqual(TransformTarget.columnName("\"Id\""), "Id")
        XCTAssertEqual(TransformTarget.columnName("\"a\"\"b\""), "a\"b")
        XCTAssertEqual(TransformTarget.columnName("ÄB"), "Äb", "only ASCII letters fold")
    }

    func testTheNextUUIDIsTheNumberPlusOne() {
        XCTAssertEqual(UUIDOrder.successor(of: "00000000-0000-0000-0000-00000000000f"), "00000000-0000-0000-0000-000000000010")
        XCTAssertEqual(UUIDOrder.successor(of: "0fffffff-ffff-ffff-ffff-ffffffffffff"), "10000000-0000-0000-0000-000000000000")
        XCTAssertEqual(UUIDOrder.successor(of: "A0000000-0000-0000-0000-000000000009"), "a0000000-0000-0000-0000-00000000000a")
        XCTAssertNil(UUIDOrder.successor(of: "ffffffff-ffff-ffff-ffff-ffffffffffff"))
    }

    func testTheThrottleKeepsTheAverageRateAndThePause() {
        let limited = Throttle(pause: 0.1, maxRowsPerSecond: 1000)
        XCTAssertEqual(limited.delay(rows: 5000, elapsed: 1), 4, accuracy: 1e-9, "5000 rows at 1000/s take 5 s")
        XCTAssertEqual(limited.delay(rows: 500, elapsed: 1), 0.1, accuracy: 1e-9, "under the rate, the pause")
        XCTAssertEqual(Throttle(pause: 0, maxRowsPerSecond: nil).delay(rows: 1_000_000, elapsed: 0.1), 0)
        XCTAssertEqual(limited.delay(rows: 500, elapsed: 1, last: true), 0, "no pause after the last batch")
        XCTAssertEqual(limited.delay(rows: 5000, elapsed: 4.5, last: true), 0.5, accuracy: 1e-9, "but the rate holds to the end")
    }
}
