import Foundation

/// The schema before and after the change: `pg_dump --schema-only`, normalized as dpm
/// compares schemas everywhere, and their unified diff.
struct SchemaBeforeAfter {
    let tools: DumpTools
    /// Tables left out of both dumps (a transform's progress table, which dpm itself adds).
    var leftOut: [String] = []

    func dump(_ database: String) throws -> String {
        SchemaNormalizer.normalize(try tools.dumpSchema(of: database, filters: TableFilters(exclude: leftOut)))
    }

    /// nil when the schema did not change.
    func diff(before: String, after: String, profile: String) -> String? {
        let diff = LineDiff.unified(from: before, to: after, fromLabel: "\(profile) before", toLabel: "\(profile) after", maxLines: 400)
        return diff.isEmpty ? nil : diff
    }
}
