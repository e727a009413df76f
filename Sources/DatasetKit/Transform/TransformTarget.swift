import Foundation

/// The kind of key a transform walks, which decides how batches are cut.
public enum TransformKeyKind: String, Codable, Sendable {
    /// smallint, integer, bigint: ranges [start, start + size).
    case integer
    /// uuid, text, varchar: the next `size` keys in the key's order.
    case uuid, text
}

/// The table and key column a header names, checked against the database's catalog.
struct TransformTarget {
    /// `schema.table`, each part quoted, for SQL text.
    let table: String
    /// `schema.table` as the catalog spells it, for messages.
    let tableName: String
    /// The key column, quoted.
    let key: String
    let keyName: String
    let kind: TransformKeyKind
    /// The largest value the integer key's type holds.
    let integerLimit: Int64?
    let hasIndex: Bool

    static func resolve(_ header: TransformHeader, in session: SQLSession, database: String, file: String) throws -> TransformTarget {
        let tables = try session.query("""
            SELECT c.oid::text, quote_ident(n.nspname) || '.' || quote_ident(c.relname), n.nspname || '.' || c.relname, c.relkind::text
            FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.oid = to_regclass($1)
            """, parameters: [header.table])
        guard let table = tables.first, let oid = table[0], let quoted = table[1], let name = table[2] else {
            throw DPMError.notFound("\(file) names the table \(header.table), which \(database) does not have.")
        }
        guard ["r", "p"].contains(table[3] ?? "") else {
            throw DPMError.invalidInput("\(file) names \(name), which is not a table in \(database); a transform walks a table's key.")
        }
        let columns = try session.query("""
            SELECT quote_ident(a.attname), coalesce(nullif(t.typbasetype, 0), t.oid)::regtype::text, a.attname
            FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid
            WHERE a.attrelid = $1::oid AND a.attname = $2 AND a.attnum > 0 AND NOT a.attisdropped
            """, parameters: [oid, columnName(header.key)])
        guard let column = columns.first, let key = column[0], let type = column[1], let keyName = column[2] else {
            throw DPMError.notFound("\(file) names the key column \(header.key), which \(name) in \(database) does not have.")
        }
        let kinds: [String: (TransformKeyKind, Int64?)] = [
            "smallint": (.integer, Int64(Int16.max)), "integer": (.integer, Int64(Int32.max)), "bigint": (.integer, Int64.max),
            "uuid": (.uuid, nil), "text": (.text, nil), "character varying": (.text, nil),
        ]
        guard let (kind, limit) = kinds[type] else {
            throw DPMError.invalidInput("The key column \(keyName) of \(name) is \(type); dpm transform walks integer, uuid and text keys.")
        }
        // A btree index that starts with the key, over all rows, is what makes each batch a range scan.
        let indexed = try session.query("""
            SELECT EXISTS (SELECT 1 FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid JOIN pg_am am ON am.oid = ic.relam
                           JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attname = $2
                           WHERE i.indrelid = $1::oid AND i.indkey[0] = a.attnum AND i.indpred IS NULL AND am.amname = 'btree')
            """, parameters: [oid, keyName])
        return TransformTarget(table: quoted, tableName: name, key: key, keyName: keyName, kind: kind, integerLimit: limit,
                               hasIndex: indexed.first?.first == "t")
    }

    /// A column name as SQL reads it, like the table's (which to_regclass reads): folded to
    /// lower case unless double-quoted, so key=ID and key="Id" mean what they mean in SQL.
    static func columnName(_ written: String) -> String {
        guard written.count >= 2, written.hasPrefix("\""), written.hasSuffix("\"") else {
            // PostgreSQL folds ASCII letters only (in UTF-8 databases).
            return String(written.map { $0.isASCII && $0.isUppercase ? Character($0.lowercased()) : $0 })
        }
        return String(written.dropFirst().dropLast()).replacingOccurrences(of: "\"\"", with: "\"")
    }
}
