/// Whether a database's tables take a snapshot's rows as they are: each chosen table must
/// exist and have the snapshot's columns, with the same names, types and NOT NULL, in the
/// same order (generated columns left out on both sides, as COPY leaves them out).
enum TableShapeCheck {
    /// Refuses, naming the first table that differs and its first difference.
    static func check(_ tables: [QualifiedTable], snapshot: TableColumns, target: TableColumns, database: String, snapshotID: String) throws {
        for table in tables {
            guard let theirs = target.columns[table] else {
                throw DPMError.invalidInput("The database \(database) has no table \(table), which snapshot \(snapshotID) holds rows of; nothing was changed.")
            }
            if let difference = firstDifference(snapshot: snapshot.columns[table] ?? [], target: theirs, database: database) {
                throw DPMError.invalidInput("The table \(table) of \(database) differs from snapshot \(snapshotID)'s: \(difference); nothing was changed (restore the whole profile into another database, or migrate one of them to match).")
            }
        }
    }

    /// The first difference of the target's columns from the snapshot's, as a clause; nil when they agree.
    static func firstDifference(snapshot: [TableColumns.Column], target: [TableColumns.Column], database: String) -> String? {
        func described(_ column: TableColumns.Column) -> String { "\(KeyColumns.quoted(column.name)) (\(column.type))" }
        for index in 0..<max(snapshot.count, target.count) {
            let ours = index < snapshot.count ? snapshot[index] : nil
            let theirs = index < target.count ? target[index] : nil
            guard let ours else { return "\(database) has a column \(described(theirs!)) the snapshot lacks" }
            guard let theirs else { return "\(database) lacks the snapshot's column \(described(ours))" }
            if ours.name != theirs.name {
                if !snapshot.contains(where: { $0.name == theirs.name }) { return "\(database) has a column \(described(theirs)) the snapshot lacks" }
                if !target.contains(where: { $0.name == ours.name }) { return "\(database) lacks the snapshot's column \(described(ours))" }
                return "column \(index + 1) is \(KeyColumns.quoted(ours.name)) in the snapshot but \(KeyColumns.quoted(theirs.name)) in \(database)"
            }
            let name = KeyColumns.quoted(ours.name)
            if ours.type != theirs.type { return "column \(name) is \(ours.type) in the snapshot but \(theirs.type) in \(database)" }
            if ours.notNull != theirs.notNull {
                return "column \(name) is \(ours.notNull ? "NOT NULL" : "nullable") in the snapshot but \(theirs.notNull ? "NOT NULL" : "nullable") in \(database)"
            }
        }
        return nil
    }
}
