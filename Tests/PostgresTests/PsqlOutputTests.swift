import DatasetKit
@testable import Postgres
import XCTest

/// psql's stderr as psql 15.18 wrote it, read by `PsqlOutput` where psql runs.
final class PsqlOutputTests: XCTestCase {
    private func psqlFailure(_ lines: [String]) -> ToolFailure {
        ToolFailure(tool: "psql", status: .exit(3), lastLines: lines)
    }

    func testARefusedMetaCommandIsRecognisedWithItsLine() {
        let failure = psqlFailure([#"psql:/tmp/dpm-clean-x/pre-data/schema.sql:2: error: backslash commands are restricted; only \unrestrict is allowed"#])
        XCTAssertEqual(PsqlOutput.refusedMetaCommand(in: failure), PsqlOutput.MetaCommandRefusal(line: 2))
    }

    func testAnSQLErrorIsNoRefusedMetaCommand() {
        let failure = psqlFailure([#"psql:/tmp/errwork/exists.sql:2: ERROR:  relation "t" already exists"#])
        XCTAssertNil(PsqlOutput.refusedMetaCommand(in: failure))
    }

    func testAScriptErrorNamesItsLineAndCause() {
        let failure = psqlFailure([#"psql:/app/db/migrations/2_t.sql:2: ERROR:  relation "t" already exists"#])
        XCTAssertEqual(PsqlOutput.problem(in: failure, script: "/app/db/migrations/2_t.sql"),
                       ScriptProblem(line: 2, text: #"ERROR:  relation "t" already exists"#, causes: [.alreadyExists],
                                     error: ScriptProblem.Failed(line: 2, message: #"relation "t" already exists"#)))
    }

    func testTheFailedStatementIsTheErrorNotAnEarlierNotice() {
        let path = "/app/db/sanitize/purge.sql"
        let failure = psqlFailure(["psql:\(path):2: NOTICE:  table \"old\" does not exist, skipping",
                                   #"psql:\#(path):5: ERROR:  relation "nope" does not exist"#, "LINE 1: DELETE FROM nope;", "                    ^"])
        let problem = PsqlOutput.problem(in: failure, script: path)
        XCTAssertEqual(problem.line, 2)
        XCTAssertEqual(problem.error, ScriptProblem.Failed(line: 5, message: #"relation "nope" does not exist"#))
        XCTAssertEqual(problem.summary, #"at line 5: relation "nope" does not exist"#)
        XCTAssertEqual(PsqlOutput.problem(in: psqlFailure(["psql:<stdin>:9: error: invalid command \\restrict"]), script: "<stdin>").summary,
                       #"at line 9: invalid command \restrict"#)
    }

    func testAStatementThatNeedsNoTransactionIsRecognised() {
        let path = "/app/db/migrations/3_index.sql"
        let failure = psqlFailure([
            "psql:\(path):1: WARNING:  there is already a transaction in progress",
            "psql:\(path):2: ERROR:  CREATE INDEX CONCURRENTLY cannot run inside a transaction block",
        ])
        let problem = PsqlOutput.problem(in: failure, script: path)
        XCTAssertEqual(problem.causes, [.needsNoTransaction])
        XCTAssertEqual(problem.line, 1, "the first line psql names, as dpm has always read it")
        XCTAssertEqual(problem.text, "WARNING:  there is already a transaction in progress / psql:\(path):2: ERROR:  CREATE INDEX CONCURRENTLY cannot run inside a transaction block")
    }

    func testOutputThatNamesNoScriptLineIsKeptWhole() {
        let failure = psqlFailure(["psql: error: connection to server on socket \"/tmp/.s.PGSQL.1\" failed: No such file or directory"])
        XCTAssertEqual(PsqlOutput.problem(in: failure, script: "/app/x.sql"),
                       ScriptProblem(line: nil, text: failure.output, causes: []))
        XCTAssertEqual(PsqlOutput.problem(in: psqlFailure([]), script: "/app/x.sql"), ScriptProblem(line: nil, text: "no message", causes: []))
    }
}
