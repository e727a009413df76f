import Foundation

/// The schema before and after the change: `pg_dump --schema-only`, normalized as dpm
/// compares schemas everywhere, and their unified diff.
struct SchemaBeforeAfter {
    let tools: DumpTools

    func dump(_ database: String) throws -> String {
        SchemaNormalizer.normalize(try tools.dumpSchema(of: database, filters: TableFilters()))
    }

    /// nil when the schema did not change.
    func diff(before: String, after: String, profile: String) -> String? {
        let diff = LineDiff.unified(from: before, to: after, fromLabel: "\(profile) before", toLabel: "\(profile) after", maxLines: 400)
        return diff.isEmpty ? nil : diff
    }
}
