import Foundation

/// Replaces the rows of chosen tables of an existing database with a snapshot's, in one
/// transaction of one session, so that the database has either all the new rows or none:
///
/// 1. the chosen tables are locked (`ACCESS EXCLUSIVE`, waiting at most `lockTimeout`);
/// 2. every foreign key from or to them (or their partitioned ancestors) is dropped, and so
///    their user triggers are disabled (pg_restore's `--disable-triggers`, per trigger, which
///    needs only ownership: `DISABLE TRIGGER ALL` would need a superuser for the internal ones);
/// 3. they are truncated and each one's data is streamed from the store into COPY;
/// 4. the foreign keys are added again from `pg_get_constraintdef`, so PostgreSQL checks every
///    row on both sides (a row of an untouched table referring to a rate the snapshot lacks
///    fails here), the triggers get back their state, and the owned sequences the snapshot's
///    `SEQUENCE SET`, else the column's highest value (after `ALTER SEQUENCE … RESTART`, which
///    makes setval's otherwise untransactional write part of the transaction);
/// 5. COMMIT. Any failure rolls all of it back.
struct TableReplacement {
    let session: RestoreConnection
    let transfer: ObjectTransfer
    let database: String
    let checkpoint: @Sendable (String) throws -> Void

    /// How long the transaction waits for a lock another session holds.
    static let lockTimeout = "10s"

    /// The session settings the data needs, as pg_restore makes them (empty search_path, so
    /// that every name the catalog gives back is qualified).
    static func settings(encoding: String?) -> [String] {
        ["SELECT pg_catalog.set_config('search_path', '', false)"]
            + (encoding.map { ["SET client_encoding = '\($0)'"] } ?? [])
            + ["SET standard_conforming_strings = on", "SET xmloption = content", "SET row_security = off",
               "SET lock_timeout = '\(lockTimeout)'"]
    }

    struct Outcome {
        var tables: [TableRestoreResult.Table] = []
        var foreignKeys: [String] = []
        var sequences: [TableRestoreResult.SequenceSetting] = []
        var triggers = 0
    }

    private struct ForeignKey {
        var name: String
        var quotedName: String
        var table: String
        var partitioned: Bool
        var referenced: String
        var definition: String
        /// The comment as an SQL literal, to put back.
        var comment: String?

        var only: String { partitioned ? "" : "ONLY " }
    }

    private struct Trigger {
        var table: String
        var quotedName: String
        /// pg_trigger.tgenabled: O (origin and local), A (always) or R (replica).
        var state: String
    }

    private struct OwnedSequence {
        var oid: String
        var name: QualifiedTable
        var display: String
        var table: String
        var column: String
        var start: String
    }

    func run(_ tables: [QualifiedTable], from snapshot: SnapshotTables) throws -> Outcome {
        try session.execute("BEGIN")
        do {
            let outcome = try replace(tables, from: snapshot)
            try checkpoint("table-restore.before-commit")
            try session.execute("COMMIT")
            return outcome
        } catch {
            try? session.execute("ROLLBACK")
            if let failure = error as? DPMError, failure.sqlState == "55P03" {
                throw DPMError.inUse("Another session of \(database) holds a lock on a table this restore needs (waited \(Self.lockTimeout)); end its transaction and try again; nothing was changed.", sqlState: "55P03")
            }
            throw error
        }
    }

    private func replace(_ tables: [QualifiedTable], from snapshot: SnapshotTables) throws -> Outcome {
        let list = tables.map(Self.sql).joined(separator: ", ")
        try session.execute("LOCK TABLE ONLY \(list) IN ACCESS EXCLUSIVE MODE")
        let chosen = try Self.json(tables)
        let keys = try foreignKeys(chosen)
        let triggers = try enabledTriggers(chosen)
        let sequences = try ownedSequences(chosen)

        for key in keys { try session.execute("ALTER TABLE \(key.only)\(key.table) DROP CONSTRAINT \(key.quotedName)") }
        for trigger in triggers { try session.execute("ALTER TABLE \(trigger.table) DISABLE TRIGGER \(trigger.quotedName)") }
        try session.execute("TRUNCATE ONLY \(list)")

        var outcome = Outcome(foreignKeys: keys.map(\.name), triggers: triggers.count)
        for table in tables {
            guard let data = snapshot.data[table] else { throw DPMError.internal("No data of \(table) in the snapshot.") }
            let artifact = data.artifact
            let rows: Int64
            do {
                rows = try session.copy(data.copyStatement) { writer in
                    try transfer.read(artifact, into: writer, what: "\(artifact.path), data of \(table)")
                }
            } catch let error as DPMError where error.kind == .database && error.sqlState != "55P03" {
                let reason = error.message.hasSuffix(".") ? String(error.message.dropLast()) : error.message
                throw error.rephrased("Loading the data of \(table) into \(database) failed: \(reason); nothing was changed.")
            }
            outcome.tables.append(TableRestoreResult.Table(table: table.description, rows: rows, bytes: artifact.size))
        }

        for key in keys {
            do {
                try session.execute("ALTER TABLE \(key.only)\(key.table) ADD CONSTRAINT \(key.quotedName) \(key.definition)")
            } catch let error as DPMError where error.sqlState == "23503" {
                throw DPMError.conflict("The restored rows break the foreign key \(key.name) of \(key.table) (referring to \(key.referenced)) in \(database): rows of \(key.table) would refer to rows \(key.referenced) does not have; nothing was changed (restore both tables, or fix those rows first).")
            }
            if let comment = key.comment { try session.execute("COMMENT ON CONSTRAINT \(key.quotedName) ON \(key.table) IS \(comment)") }
        }
        for trigger in triggers {
            let mode = ["A": "ALWAYS ", "R": "REPLICA "][trigger.state] ?? ""
            try session.execute("ALTER TABLE \(trigger.table) ENABLE \(mode)TRIGGER \(trigger.quotedName)")
        }
        for sequence in sequences { outcome.sequences.append(try set(sequence, from: snapshot)) }
        return outcome
    }

    /// The chosen tables' oids, as a CTE over `$1` (a JSON array of [schema, table]).
    private static let chosenCTE = """
        WITH chosen AS (
            SELECT c.oid FROM pg_catalog.json_array_elements($1::pg_catalog.json) e
            JOIN pg_catalog.pg_namespace n ON n.nspname = e->>0
            JOIN pg_catalog.pg_class c ON c.relnamespace = n.oid AND c.relname = e->>1
        ), involved AS (
            SELECT oid FROM chosen
            UNION SELECT a.relid FROM chosen, pg_catalog.pg_partition_ancestors(chosen.oid) a
        )
        """

    /// Foreign keys whose table or referenced table is a chosen one or an ancestor of one
    /// (a partition's keys are its root's, dropped and added there).
    private func foreignKeys(_ chosen: String) throws -> [ForeignKey] {
        try session.query("""
            \(Self.chosenCTE)
            SELECT f.conname, pg_catalog.quote_ident(f.conname), f.conrelid::pg_catalog.regclass::text, (r.relkind = 'p')::text,
                   f.confrelid::pg_catalog.regclass::text, pg_catalog.pg_get_constraintdef(f.oid),
                   pg_catalog.quote_literal(pg_catalog.obj_description(f.oid, 'pg_constraint'))
            FROM pg_catalog.pg_constraint f JOIN pg_catalog.pg_class r ON r.oid = f.conrelid
            WHERE f.contype = 'f' AND f.conparentid = 0
              AND (f.conrelid IN (SELECT oid FROM involved) OR f.confrelid IN (SELECT oid FROM involved))
            ORDER BY 3, 1
            """, parameters: [chosen]).map { row in
            guard row.count == 7, let name = row[0], let quoted = row[1], let table = row[2], let referenced = row[4], let definition = row[5] else {
                throw DPMError.internal("Unexpected row of foreign keys: \(row).")
            }
            return ForeignKey(name: name, quotedName: quoted, table: table, partitioned: row[3] == "true", referenced: referenced,
                              definition: definition, comment: row[6])
        }
    }

    /// The chosen tables' user triggers that are not disabled.
    private func enabledTriggers(_ chosen: String) throws -> [Trigger] {
        try session.query("""
            \(Self.chosenCTE)
            SELECT t.tgrelid::pg_catalog.regclass::text, pg_catalog.quote_ident(t.tgname), t.tgenabled::text
            FROM pg_catalog.pg_trigger t
            WHERE t.tgrelid IN (SELECT oid FROM chosen) AND NOT t.tgisinternal AND t.tgenabled <> 'D'
            ORDER BY 1, 2
            """, parameters: [chosen]).map { row in
            guard row.count == 3, let table = row[0], let name = row[1], let state = row[2] else {
                throw DPMError.internal("Unexpected row of triggers: \(row).")
            }
            return Trigger(table: table, quotedName: name, state: state)
        }
    }

    /// Sequences owned by the chosen tables' columns (serial and identity columns).
    private func ownedSequences(_ chosen: String) throws -> [OwnedSequence] {
        try session.query("""
            \(Self.chosenCTE)
            SELECT s.oid::text, sn.nspname, s.relname, s.oid::pg_catalog.regclass::text, c.oid::pg_catalog.regclass::text,
                   pg_catalog.quote_ident(a.attname), p.seqstart::text
            FROM pg_catalog.pg_depend d
            JOIN pg_catalog.pg_class s ON s.oid = d.objid AND s.relkind = 'S'
            JOIN pg_catalog.pg_namespace sn ON sn.oid = s.relnamespace
            JOIN pg_catalog.pg_sequence p ON p.seqrelid = s.oid
            JOIN pg_catalog.pg_class c ON c.oid = d.refobjid
            JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid AND a.attnum = d.refobjsubid
            WHERE d.classid = 'pg_catalog.pg_class'::pg_catalog.regclass AND d.refclassid = 'pg_catalog.pg_class'::pg_catalog.regclass
              AND d.deptype IN ('a', 'i') AND c.oid IN (SELECT oid FROM chosen)
            ORDER BY 4
            """, parameters: [chosen]).map { row in
            guard row.count == 7, let oid = row[0], let schema = row[1], let name = row[2], let display = row[3], let table = row[4],
                  let column = row[5], let start = row[6] else {
                throw DPMError.internal("Unexpected row of sequences: \(row).")
            }
            return OwnedSequence(oid: oid, name: QualifiedTable(schema: schema, table: name), display: display, table: table,
                                 column: column, start: start)
        }
    }

    /// Sets a sequence as the snapshot left it, or (when the snapshot has no position for it)
    /// just past the highest value of its column.
    private func set(_ sequence: OwnedSequence, from snapshot: SnapshotTables) throws -> TableRestoreResult.SequenceSetting {
        // setval alone is never rolled back; RESTART gives the sequence a new file in this
        // transaction (as TRUNCATE … RESTART IDENTITY does), so that a rollback discards setval's write with it.
        try session.execute("ALTER SEQUENCE \(sequence.display) RESTART")
        if let position = snapshot.sequences[sequence.name] {
            _ = try session.query("SELECT pg_catalog.setval($1::pg_catalog.oid::pg_catalog.regclass, $2::bigint, $3::boolean)",
                                  parameters: [sequence.oid, position.value, position.isCalled ? "true" : "false"])
            return TableRestoreResult.SequenceSetting(sequence: sequence.display, value: position.value, from: "snapshot")
        }
        let rows = try session.query("""
            SELECT pg_catalog.setval($1::pg_catalog.oid::pg_catalog.regclass, coalesce(max(\(sequence.column))::bigint, $2::bigint),
                                     max(\(sequence.column)) IS NOT NULL)::text
            FROM \(sequence.table)
            """, parameters: [sequence.oid, sequence.start])
        return TableRestoreResult.SequenceSetting(sequence: sequence.display, value: rows.first?.first.flatMap { $0 } ?? sequence.start, from: "max")
    }

    static func sql(_ table: QualifiedTable) -> String { "\(KeyColumns.quoted(table.schema)).\(KeyColumns.quoted(table.table))" }

    static func json(_ tables: [QualifiedTable]) throws -> String {
        String(decoding: try JSONEncoder().encode(tables.map { [$0.schema, $0.table] }), as: UTF8.self)
    }
}
