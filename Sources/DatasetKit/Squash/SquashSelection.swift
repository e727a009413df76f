import Foundation

/// Which migration files a squash folds into the base: the run from the oldest file on
/// that the source and every other profile have applied. The run stops at the first file
/// some profile lacks, even when later files are applied everywhere: folding a later
/// migration into the base while an earlier one stays a file would run them out of order.
public struct SquashSelection: Equatable, Sendable {
    public struct Kept: Codable, Equatable, Sendable {
        public var file: MigrationFile
        public var reason: String
    }

    /// A dataset whose applied migrations decide what may be squashed.
    public struct Dataset: Sendable {
        public var name: String
        /// Versions of files it has not applied.
        public var pending: Set<String>

        public init(name: String, pending: Set<String>) {
            self.name = name
            self.pending = pending
        }
    }

    public var squashed: [MigrationFile]
    public var kept: [Kept]

    /// `files` in version order; `datasets` the source first, then the other profiles.
    public static func choose(files: [MigrationFile], datasets: [Dataset]) -> SquashSelection {
        var selection = SquashSelection(squashed: [], kept: [])
        var firstKept: MigrationFile?
        for file in files {
            let lacking = datasets.filter { $0.pending.contains(file.version) }.map(\.name)
            if firstKept == nil, lacking.isEmpty {
                selection.squashed.append(file)
                continue
            }
            let reason = lacking.isEmpty
                ? "applied everywhere, but follows \(firstKept!.version), which stays"
                : "not applied in \(lacking.joined(separator: ", "))"
            firstKept = firstKept ?? file
            selection.kept.append(Kept(file: file, reason: reason))
        }
        return selection
    }
}
