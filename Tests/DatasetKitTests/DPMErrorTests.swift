@testable import DatasetKit
import Foundation
import XCTest

final class DPMErrorTests: XCTestCase {
    func testEveryKindExitsOneAsDpmAlwaysHas() {
        for kind in DPMError.Kind.allCases {
            XCTAssertEqual(DPMError(kind, "It failed.").exitCode, 1, "\(kind)")
        }
    }

    func testTheSentenceIsTheMessageAndDetailsStayApart() {
        let error = DPMError.invalidInput("The new base does not reproduce the schema.", details: "-a\n+b")
        XCTAssertEqual(error.userMessage, "The new base does not reproduce the schema.")
        XCTAssertEqual(DPMError(reporting: error), error)
        XCTAssertEqual(DPMError(reporting: error).details, "-a\n+b")
    }

    func testOtherErrorsAreReportedAsASystemSentence() {
        let error = NSError(domain: NSCocoaErrorDomain, code: 642, userInfo: [NSFilePathErrorKey: "/mnt/x"])
        let reported = DPMError(reporting: error)
        XCTAssertEqual(reported.kind, .system)
        XCTAssertEqual(reported.message, "Cannot write /mnt/x: Read-only file system.")
        XCTAssertNil(reported.details)
        XCTAssertEqual(reported.exitCode, 1)
    }

    func testAToolFailureIsToldAsBeforeWithItsFieldsApart() {
        let failure = ToolFailure(tool: "pg_restore", status: .exit(1), lastLines: ["pg_restore: error: could not execute query", "Command was: CREATE TABLE"])
        let error = DPMError.toolFailed(failure)
        XCTAssertEqual(error.kind, .toolFailed)
        XCTAssertEqual(error.message, "pg_restore failed (exit 1): pg_restore: error: could not execute query / Command was: CREATE TABLE")
        XCTAssertEqual(error.tool, failure)
        XCTAssertEqual(DPMError.toolFailed(ToolFailure(tool: "psql", status: .signal(9), lastLines: [])).message, "psql failed (signal 9): no message")
    }

    func testAToolFailureToldInTheCallersSentenceShowsNoMoreThanThat() {
        let failure = ToolFailure(tool: "bin/migrate --password=hunter2", status: .exit(2), lastLines: ["connecting with hunter2"])
        let error = DPMError.toolFailed(failure, "The migration command failed with exit code 2.")
        XCTAssertEqual(error.userMessage, "The migration command failed with exit code 2.")
        XCTAssertFalse(error.userMessage.contains("hunter2"))
        XCTAssertNil(error.details)
        XCTAssertEqual(error.tool?.lastLines, ["connecting with hunter2"])
    }

    func testRephrasingKeepsTheKindAndFields() {
        let failure = ToolFailure(tool: "psql", status: .exit(3), lastLines: ["ERROR:  boom"])
        let error = DPMError.toolFailed(failure).rephrased("The migration x.sql failed: ERROR:  boom.")
        XCTAssertEqual(error.kind, .toolFailed)
        XCTAssertEqual(error.tool, failure)
        XCTAssertEqual(error.message, "The migration x.sql failed: ERROR:  boom.")
    }

    func testASystemCallKeepsItsErrorNumber() {
        let error = DPMError.systemCall("Cannot delete /x", errorNumber: EACCES)
        XCTAssertEqual(error.kind, .system)
        XCTAssertEqual(error.errorNumber, EACCES)
        XCTAssertEqual(error.message, "Cannot delete /x: Permission denied.")
    }

    func testTheStoresRefusalsKeepTheirSentences() {
        XCTAssertEqual(DPMError.objectNotFound(key: "objects/aa/x", store: "file:///s").message, "The store file:///s has no object objects/aa/x.")
        XCTAssertEqual(DPMError.objectNotFound(key: "objects/aa/x", store: "file:///s").kind, .notFound)
        XCTAssertEqual(DPMError.objectExists(key: "k", store: "file:///s").message, "The store file:///s already has k; it is never overwritten.")
        XCTAssertEqual(DPMError.objectExists(key: "k", store: "file:///s").kind, .conflict)
        XCTAssertEqual(DPMError.storedHashMismatch(key: "k", expected: "e", actual: "a").message,
                       "The bytes written for k have SHA-256 a, expected e; nothing was stored.")
        XCTAssertEqual(DPMError.storedHashMismatch(key: "k", expected: "e", actual: "a").kind, .corrupt)
        XCTAssertEqual(DPMError.invalidStoreKey("../x").message, "The store key \"../x\" is not allowed.")
    }
}
