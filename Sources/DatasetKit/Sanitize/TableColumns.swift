import Foundation

/// The tables of a database as pg_dump writes their data: the columns of each COPY line in
/// order (dropped and generated columns left out, as pg_dump leaves them out), each with its
/// type (a domain as its base type), and the partitioned tables each partition belongs to.
public struct TableColumns: Sendable {
    public struct Column: Sendable, Equatable {
        public var name: String
        /// `format_type` of the column's type, or of a domain's base type.
        public var type: String
        public var notNull: Bool

        public init(name: String, type: String, notNull: Bool = false) {
            self.name = name
            self.type = type
            self.notNull = notNull
        }
    }

    /// A foreign key: `columns` of `table` refer to `referencedColumns` of `referenced`.
    public struct ForeignKey: Sendable, Equatable {
        public var table: QualifiedTable
        public var columns: [String]
        public var referenced: QualifiedTable
        public var referencedColumns: [String]

        public init(table: QualifiedTable, columns: [String], referenced: QualifiedTable, referencedColumns: [String]) {
            self.table = table
            self.columns = columns
            self.referenced = referenced
            self.referencedColumns = referencedColumns
        }
    }

    public private(set) var columns: [QualifiedTable: [Column]] = [:]
    /// Each partition's ancestors, nearest first.
    public private(set) var ancestors: [QualifiedTable: [QualifiedTable]] = [:]
    /// The column sets of each table's primary key and unique indexes and constraints.
    public var unique: [QualifiedTable: [[String]]] = [:]
    /// The partition key columns of partitioned tables.
    public var partitionKeys: [QualifiedTable: [String]] = [:]
    public var foreignKeys: [ForeignKey] = []

    public init(columns: [QualifiedTable: [Column]], ancestors: [QualifiedTable: [QualifiedTable]] = [:]) {
        self.columns = columns
        self.ancestors = ancestors
    }

    /// The catalog of `database`, spelled as pg_dump spells it (so that `read(fromArchive:)` of
    /// its dump agrees field by field): types as `format_type` writes them with an empty
    /// search_path, whatever the connection's (`public.citext`, `integer`); a domain as its
    /// base type, through domains of domains; unique keys of the indexes pg_dump dumps, in the
    /// order of their names, with the columns their expressions read and without INCLUDE
    /// columns; foreign keys in the order of their tables and names.
    public static func read(from server: DatabaseQuery, database: String) throws -> TableColumns {
        let userTables = """
            c.relkind IN ('r', 'p') AND n.nspname NOT IN ('pg_catalog', 'information_schema')
            AND n.nspname NOT LIKE 'pg\\_toast%' AND n.nspname NOT LIKE 'pg\\_temp%'
            """
        // A type outside pg_catalog that the search_path makes visible is qualified by hand;
        // format_type qualifies the others itself. An array's element decides, as in format_type.
        let columnRows = try server.query("""
            WITH RECURSIVE chain AS (
                SELECT t.oid AS domain, t.typbasetype AS base, t.typtypmod AS typmod, t.typnotnull AS notnull
                FROM pg_type t WHERE t.typtype = 'd'
                UNION ALL
                SELECT c.domain, b.typbasetype, CASE WHEN c.typmod = -1 THEN b.typtypmod ELSE c.typmod END, c.notnull OR b.typnotnull
                FROM chain c JOIN pg_type b ON b.oid = c.base AND b.typtype = 'd'
            ), domains AS (
                SELECT c.* FROM chain c JOIN pg_type b ON b.oid = c.base AND b.typtype <> 'd'
            )
            SELECT n.nspname, c.relname, a.attname,
                   CASE WHEN vn.nspname = 'pg_catalog' OR NOT pg_type_is_visible(vt.oid) THEN format_type(ty.oid, ty.typmod)
                        ELSE quote_ident(vn.nspname) || '.' || format_type(ty.oid, ty.typmod) END,
                   (a.attnotnull OR coalesce(d.notnull, false))::text, (a.attgenerated <> '')::text
            FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
            LEFT JOIN domains d ON d.domain = a.atttypid
            CROSS JOIN LATERAL (SELECT coalesce(d.base, a.atttypid) AS oid,
                                       CASE WHEN d.domain IS NULL THEN a.atttypmod ELSE d.typmod END AS typmod) ty
            JOIN pg_type ft ON ft.oid = ty.oid
            JOIN pg_type vt ON vt.oid = CASE WHEN ft.typelem <> 0 AND ft.typlen = -1 THEN ft.typelem ELSE ft.oid END
            JOIN pg_namespace vn ON vn.oid = vt.typnamespace
            WHERE \(userTables)
            ORDER BY n.nspname, c.relname, a.attnum
            """, parameters: [], in: database)
        var result = TableColumns(columns: [:])
        // Every column's name, generated ones too: an index or a partition key may read them.
        var allColumns: [QualifiedTable: Set<String>] = [:]
        for row in columnRows {
            guard row.count == 6, let schema = row[0], let table = row[1], let name = row[2], let type = row[3] else { continue }
            let qualified = QualifiedTable(schema: schema, table: table)
            allColumns[qualified, default: []].insert(name)
            if row[5] == "true" { continue }
            result.columns[qualified, default: []].append(Column(name: name, type: type, notNull: row[4] == "true"))
        }
        let uniqueRows = try server.query("""
            SELECT n.nspname, c.relname, ic.relname, a.attname,
                   CASE WHEN k.attnum = 0 THEN pg_get_indexdef(i.indexrelid, k.ord::int, false) END
            FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid
            JOIN pg_class c ON c.oid = i.indrelid JOIN pg_namespace n ON n.oid = c.relnamespace
            CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, ord)
            LEFT JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = k.attnum AND k.attnum <> 0
            WHERE i.indisunique AND (i.indisvalid OR c.relkind = 'p') AND i.indisready AND k.ord <= i.indnkeyatts
              AND \(userTables)
            ORDER BY n.nspname, c.relname, ic.relname COLLATE "C", k.ord
            """, parameters: [], in: database)
        var keys: [(table: QualifiedTable, index: String, columns: [String])] = []
        for row in uniqueRows where row.count == 5 {
            guard let schema = row[0], let table = row[1], let index = row[2] else { continue }
            let qualified = QualifiedTable(schema: schema, table: table)
            let columns: [String]
            if let column = row[3] {
                columns = [column]
            } else {
                do {
                    columns = try KeyColumns.of(elementText: row[4] ?? "", columns: allColumns[qualified] ?? [])
                } catch {
                    throw DPMError.internal("Cannot read the key of index \(index) on \(qualified) (\(row[4] ?? "")): \(error.reason).")
                }
            }
            if let last = keys.last, last.table == qualified, last.index == index {
                keys[keys.count - 1].columns = KeyColumns.merged([last.columns, columns])
            } else {
                keys.append((qualified, index, columns))
            }
        }
        for key in keys where !key.columns.isEmpty { result.unique[key.table, default: []].append(key.columns) }
        let partitionRows = try server.query("""
            SELECT n.nspname, c.relname, pg_get_partkeydef(c.oid)
            FROM pg_partitioned_table p JOIN pg_class c ON c.oid = p.partrelid JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE \(userTables)
            """, parameters: [], in: database)
        for row in partitionRows where row.count == 3 {
            guard let schema = row[0], let table = row[1], let definition = row[2] else { continue }
            let qualified = QualifiedTable(schema: schema, table: table)
            do {
                result.partitionKeys[qualified] = try KeyColumns.ofPartitionKey(definition, columns: allColumns[qualified] ?? [])
            } catch {
                throw DPMError.internal("Cannot read the partition key of \(qualified) (\(definition)): \(error.reason).")
            }
        }
        // Column lists as JSON arrays, in the key's order.
        func names(_ text: String?) throws -> [String] {
            try JSONDecoder().decode([String].self, from: Data((text ?? "[]").utf8))
        }
        let keyRows = try server.query("""
            SELECT n.nspname, c.relname,
                   (SELECT json_agg(a.attname ORDER BY k.ord) FROM unnest(f.conkey) WITH ORDINALITY AS k(attnum, ord)
                    JOIN pg_attribute a ON a.attrelid = f.conrelid AND a.attnum = k.attnum)::text,
                   rn.nspname, rc.relname,
                   (SELECT json_agg(a.attname ORDER BY k.ord) FROM unnest(f.confkey) WITH ORDINALITY AS k(attnum, ord)
                    JOIN pg_attribute a ON a.attrelid = f.confrelid AND a.attnum = k.attnum)::text
            FROM pg_constraint f JOIN pg_class c ON c.oid = f.conrelid JOIN pg_namespace n ON n.oid = c.relnamespace
            JOIN pg_class rc ON rc.oid = f.confrelid JOIN pg_namespace rn ON rn.oid = rc.relnamespace
            WHERE f.contype = 'f' AND f.conparentid = 0 AND \(userTables)
            ORDER BY n.nspname COLLATE "C", c.relname COLLATE "C", f.conname COLLATE "C"
            """, parameters: [], in: database)
        for row in keyRows where row.count == 6 {
            guard let schema = row[0], let table = row[1], let referencedSchema = row[3], let referenced = row[4] else { continue }
            result.foreignKeys.append(ForeignKey(table: QualifiedTable(schema: schema, table: table), columns: try names(row[2]),
                                                 referenced: QualifiedTable(schema: referencedSchema, table: referenced),
                                                 referencedColumns: try names(row[5])))
        }
        let ancestorRows = try server.query("""
            SELECT n.nspname, c.relname, an.nspname, ac.relname
            FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            JOIN LATERAL pg_partition_ancestors(c.oid) WITH ORDINALITY AS p(relid, depth) ON p.relid <> c.oid
            JOIN pg_class ac ON ac.oid = p.relid JOIN pg_namespace an ON an.oid = ac.relnamespace
            WHERE c.relispartition AND \(userTables)
            ORDER BY n.nspname, c.relname, p.depth
            """, parameters: [], in: database)
        for row in ancestorRows {
            guard row.count == 4, let schema = row[0], let table = row[1], let parentSchema = row[2], let parent = row[3] else { continue }
            result.ancestors[QualifiedTable(schema: schema, table: table), default: []]
                .append(QualifiedTable(schema: parentSchema, table: parent))
        }
        return result
    }

    /// The partitions (at any depth) of `table`, and itself.
    public func family(of table: QualifiedTable) -> [QualifiedTable] {
        [table] + ancestors.filter { $0.value.contains(table) }.keys.sorted()
    }
}
