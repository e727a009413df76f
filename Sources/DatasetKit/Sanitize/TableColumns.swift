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

    public static func read(from server: DatabaseQuery, database: String) throws -> TableColumns {
        let userTables = """
            c.relkind IN ('r', 'p') AND n.nspname NOT IN ('pg_catalog', 'information_schema')
            AND n.nspname NOT LIKE 'pg\\_toast%' AND n.nspname NOT LIKE 'pg\\_temp%'
            """
        let columnRows = try server.query("""
            SELECT n.nspname, c.relname, a.attname,
                   CASE WHEN t.typtype = 'd' THEN format_type(t.typbasetype, t.typtypmod) ELSE format_type(a.atttypid, a.atttypmod) END,
                   (a.attnotnull OR (t.typtype = 'd' AND t.typnotnull))::text
            FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped AND a.attgenerated = ''
            JOIN pg_type t ON t.oid = a.atttypid
            WHERE \(userTables)
            ORDER BY n.nspname, c.relname, a.attnum
            """, parameters: [], in: database)
        var result = TableColumns(columns: [:])
        for row in columnRows {
            guard row.count == 5, let schema = row[0], let table = row[1], let name = row[2], let type = row[3] else { continue }
            result.columns[QualifiedTable(schema: schema, table: table), default: []]
                .append(Column(name: name, type: type, notNull: row[4] == "true"))
        }
        // Column lists as text arrays, in the key's order: "{a,b}".
        func names(_ text: String?) -> [String] {
            guard let text, text.count >= 2 else { return [] }
            return text.dropFirst().dropLast().split(separator: ",").map { String($0).trimmingCharacters(in: CharacterSet(charactersIn: "\"")) }
        }
        let uniqueRows = try server.query("""
            SELECT n.nspname, c.relname,
                   (SELECT array_agg(a.attname ORDER BY k.ord) FROM unnest(i.indkey) WITH ORDINALITY AS k(attnum, ord)
                    JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = k.attnum)::text
            FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE i.indisunique AND \(userTables)
            """, parameters: [], in: database)
        for row in uniqueRows where row.count == 3 {
            guard let schema = row[0], let table = row[1] else { continue }
            let set = names(row[2])
            if !set.isEmpty { result.unique[QualifiedTable(schema: schema, table: table), default: []].append(set) }
        }
        let partitionRows = try server.query("""
            SELECT n.nspname, c.relname,
                   (SELECT array_agg(a.attname ORDER BY k.ord) FROM unnest(p.partattrs) WITH ORDINALITY AS k(attnum, ord)
                    JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = k.attnum)::text
            FROM pg_partitioned_table p JOIN pg_class c ON c.oid = p.partrelid JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE \(userTables)
            """, parameters: [], in: database)
        for row in partitionRows where row.count == 3 {
            guard let schema = row[0], let table = row[1] else { continue }
            result.partitionKeys[QualifiedTable(schema: schema, table: table)] = names(row[2])
        }
        let keyRows = try server.query("""
            SELECT n.nspname, c.relname,
                   (SELECT array_agg(a.attname ORDER BY k.ord) FROM unnest(f.conkey) WITH ORDINALITY AS k(attnum, ord)
                    JOIN pg_attribute a ON a.attrelid = f.conrelid AND a.attnum = k.attnum)::text,
                   rn.nspname, rc.relname,
                   (SELECT array_agg(a.attname ORDER BY k.ord) FROM unnest(f.confkey) WITH ORDINALITY AS k(attnum, ord)
                    JOIN pg_attribute a ON a.attrelid = f.confrelid AND a.attnum = k.attnum)::text
            FROM pg_constraint f JOIN pg_class c ON c.oid = f.conrelid JOIN pg_namespace n ON n.oid = c.relnamespace
            JOIN pg_class rc ON rc.oid = f.confrelid JOIN pg_namespace rn ON rn.oid = rc.relnamespace
            WHERE f.contype = 'f' AND f.conparentid = 0 AND \(userTables)
            """, parameters: [], in: database)
        for row in keyRows where row.count == 6 {
            guard let schema = row[0], let table = row[1], let referencedSchema = row[3], let referenced = row[4] else { continue }
            result.foreignKeys.append(ForeignKey(table: QualifiedTable(schema: schema, table: table), columns: names(row[2]),
                                                 referenced: QualifiedTable(schema: referencedSchema, table: referenced),
                                                 referencedColumns: names(row[5])))
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
