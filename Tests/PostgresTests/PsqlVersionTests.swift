@testable import Postgres
import XCTest

final class PsqlVersionTests: XCTestCase {
    func testReadsDebianAndPlainVersionLines() throws {
        XCTAssertEqual(try PsqlVersion(reportedBy: "psql (PostgreSQL) 15.18 (Debian 15.18-0+deb12u1)\n"), PsqlVersion(major: 15, minor: 18))
        XCTAssertEqual(try PsqlVersion(reportedBy: "psql (PostgreSQL) 18.1"), PsqlVersion(major: 18, minor: 1))
        XCTAssertEqual(try PsqlVersion(reportedBy: "psql (PostgreSQL) 19devel"), PsqlVersion(major: 19, minor: 0))
        XCTAssertThrowsError(try PsqlVersion(reportedBy: "not psql"))
    }

    func testRestrictArrivedInTheAugust2025MinorReleases() {
        let supported = [(13, 22), (14, 19), (15, 14), (15, 18), (16, 10), (17, 6), (18, 0), (19, 0)]
        let unsupported = [(12, 30), (13, 21), (14, 18), (15, 13), (16, 9), (17, 5)]
        for (major, minor) in supported { XCTAssertTrue(PsqlVersion(major: major, minor: minor).canRestrict, "\(major).\(minor)") }
        for (major, minor) in unsupported { XCTAssertFalse(PsqlVersion(major: major, minor: minor).canRestrict, "\(major).\(minor)") }
    }
}
