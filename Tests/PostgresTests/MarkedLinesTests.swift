import DatasetKit
import Foundation
@testable import Postgres
import XCTest

/// psql's output as `dpm rehearse` reads it: only the marked lines, whatever else the file printed.
final class MarkedLinesTests: XCTestCase {
    func testKeepsOnlyMarkedLinesAndSkipsLongOnes() throws {
        let long = String(repeating: "x", count: 200_000)
        let text = "1\n\(long)\ndpm-lock|16384|public.orders|RowExclusiveLock\ndpm-lo\nxdpm-lock|no\ndpm-lock|1||ShareLock"
        let lines = try MarkedLines.read(DataReader(Data(text.utf8)), marker: "dpm-lock|")
        XCTAssertEqual(lines, ["dpm-lock|16384|public.orders|RowExclusiveLock", "dpm-lock|1||ShareLock"])
    }
}
