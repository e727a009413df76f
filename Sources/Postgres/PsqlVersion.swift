import DatasetKit
import Foundation

/// The version psql reports, and whether it has `\restrict` (added in the August 2025 minor
/// releases, which also made pg_dump bracket plain dumps with it).
struct PsqlVersion: Equatable {
    let major: Int
    let minor: Int

    /// From "psql (PostgreSQL) 15.18 (Debian 15.18-0+deb12u1)".
    init(reportedBy text: String) throws {
        guard let match = text.range(of: #"\) [0-9]+(\.[0-9]+)?"#, options: .regularExpression) else {
            throw DPMError.invalidInput("psql did not report a PostgreSQL version; point DPM_PG_BIN at the PostgreSQL client tools.")
        }
        let numbers = text[match].dropFirst(2).split(separator: ".").compactMap { Int($0) }
        major = numbers.first ?? 0
        minor = numbers.count > 1 ? numbers[1] : 0
    }

    init(major: Int, minor: Int) {
        self.major = major
        self.minor = minor
    }

    var text: String { "\(major).\(minor)" }

    var canRestrict: Bool {
        let firstMinor = [13: 22, 14: 19, 15: 14, 16: 10, 17: 6]
        if major >= 18 { return true }
        guard let needed = firstMinor[major] else { return false }
        return minor >= needed
    }
}
