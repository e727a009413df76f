import DatasetKit
@testable import Postgres
import XCTest

/// Which error a streamed tool run reports when the reader of its output fails.
final class ClientToolsOutputTests: XCTestCase {
    private let tools = ClientTools(serverMajor: 15, settings: PostgresClientSettings(environment: ProcessInfo.processInfo.environment))

    /// The reader's own failure (a damaged object found while storing the stream) is the error,
    /// not the program's death from being stopped: before, a pg_dump that dpm stopped was
    /// reported as "pg_dump failed (signal 13)" or "(exit 1): pg_dump: terminated by user",
    /// and the real reason was lost.
    func testTheReadersFailureIsReportedNotTheProgramsSignal() {
        // seq dies of the SIGTERM or of SIGPIPE; the shell, as pg_dump does, catches SIGTERM and exits 1.
        let programs = [("/usr/bin/seq", ["1", "100000000"]),
                        ("/bin/sh", ["-c", "trap 'echo \"pg_dump: terminated by user\" >&2; exit 1' TERM; while :; do echo row; done"])]
        for (program, arguments) in programs + programs + programs {
            XCTAssertThrowsError(try tools.run(program, arguments, capture: false) { reader in
                var buffer = [UInt8](repeating: 0, count: 1 << 16)
                _ = try buffer.withUnsafeMutableBytes { try reader.read(into: $0) }
                throw DPMError.corrupt("Object abc in the store is corrupt: its content hashes to def.")
            }) { error in
                XCTAssertEqual((error as? DPMError)?.kind, .corrupt, "\(error)")
                XCTAssertEqual((error as? DPMError)?.message, "Object abc in the store is corrupt: its content hashes to def.")
            }
        }
    }

    /// A stream cut short by the program's own failure is still told as that failure.
    func testAProgramThatFailsIsReportedAsItsFailure() {
        XCTAssertThrowsError(try tools.run("/bin/sh", ["-c", "printf 'partial'; echo 'pg_dump: error: query failed' >&2; exit 1"], capture: false) { reader in
            var buffer = [UInt8](repeating: 0, count: 64)
            while try buffer.withUnsafeMutableBytes({ try reader.read(into: $0) }) > 0 {}
            throw DPMError.corrupt("the archive ends inside a block")
        }) { error in
            XCTAssertEqual((error as? DPMError)?.kind, .toolFailed, "\(error)")
        }
    }
}
