import DatasetKit
import Foundation

/// The text report of `dpm rehearse`.
enum RehearsalText {
    static func report(_ report: RehearsalReport) -> String {
        var lines = ["Rehearsed \(report.change) (\(report.mode)) on \(report.profiles.count) profile\(report.profiles.count == 1 ? "" : "s")."]
        for profile in report.profiles {
            lines.append("")
            lines += section(profile)
        }
        return lines.joined(separator: "\n")
    }

    private static func section(_ profile: ProfileRehearsal) -> [String] {
        var lines: [String] = []
        let outcome = profile.failure == nil ? "ran" : "FAILED"
        lines.append("\(profile.profile) (\(profile.snapshot)): \(outcome) in \(seconds(profile.seconds)) (\(seconds(profile.totalSeconds)) with the clone)")
        if let failure = profile.failure {
            var place = failure.file ?? "the command"
            if let line = failure.line { place += ":\(line)" }
            if let statement = failure.statement { place += " (\(statement))" }
            lines.append("  failed at \(place): \(failure.message)")
        }
        if let transform = profile.transform {
            lines.append("  transform: \(transform.batches) batches, \(transform.rows) rows changed, \(TransformText.rate(transform.rowsPerSecond)) rows/s")
        }
        if let estimate = profile.estimate {
            lines.append("  on the snapshot's \(estimate.snapshotRows) rows of \(estimate.table) (the clone walked \(estimate.cloneRows)): about \(estimate.seconds < 60 ? seconds(estimate.seconds) : TransformText.duration(estimate.seconds))")
        }
        if profile.rows.isEmpty {
            lines.append("  rows: none changed")
        } else {
            lines.append("  rows (inserted / updated / deleted):")
            for row in profile.rows { lines.append("    \(row.table): \(row.inserted) / \(row.updated) / \(row.deleted)") }
        }
        let every = "sampled every \(Int((profile.lockSamplingInterval * 1000).rounded())) ms, \(profile.lockSamples) samples"
        if profile.locks.isEmpty {
            lines.append("  locks on tables: none seen (\(every))")
        } else {
            lines.append("  locks (\(every); durations ± one interval):")
            for table in profile.locks {
                let under = "under \(Int((profile.lockSamplingInterval * 1000).rounded())) ms"
                let modes = table.modes.map { "\(spoken($0.mode)) \($0.samples == 0 ? under : seconds($0.seconds))" }.joined(separator: ", ")
                lines.append("    \(table.table): strongest \(spoken(table.strongest)); held \(modes)")
            }
        }
        if let diff = profile.schemaDiff {
            lines.append("  schema changed:")
            lines += diff.split(separator: "\n", omittingEmptySubsequences: false).dropLast().map { "    " + $0 }
        } else {
            lines.append("  schema: unchanged")
        }
        if profile.kept, let uri = profile.uri {
            lines.append("  kept as \(profile.database): \(uri) (remove it with dpm detach \(profile.database))")
        }
        return lines
    }

    static func spoken(_ mode: String) -> String {
        var words: [String] = [], word = ""
        for character in mode.replacingOccurrences(of: "Lock", with: "") {
            if character.isUppercase, !word.isEmpty { words.append(word); word = "" }
            word.append(character)
        }
        if !word.isEmpty { words.append(word) }
        return words.joined(separator: " ").uppercased()
    }

    private static func seconds(_ value: Double) -> String { String(format: "%.2f s", value) }
}
