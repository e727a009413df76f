/// The tables of a database as pg_dump writes their data: the columns of each COPY line in
/// order (dropped and generated columns left out, as pg_dump leaves them out), each with its
/// type (a domain as its base type), and the partitioned tables each partition belongs to.
public struct TableColumns: Sendable {
    public struct Column: Sendable, Equatable {
        public var name: String
        /// `format_type` of the column's type, or of a domain's base type.
        public var type: String
    }

    public private(set) var columns: [QualifiedTable: [Column]] = [:]
    /// Each partition's ancestors, nearest first.
    public private(set) var ancestors: [QualifiedTable: [QualifiedTable]] = [:]

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
                   CASE WHEN t.typtype = 'd' THEN format_type(t.typbasetype, t.typtypmod) ELSE format_type(a.atttypid, a.atttypmod) END
            FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped AND a.attgenerated = ''
            JOIN pg_type t ON t.oid = a.atttypid
            WHERE \(userTables)
            ORDER BY n.nspname, c.relname, a.attnum
            """, parameters: [], in: database)
        var result = TableColumns(columns: [:])
        for row in columnRows {
            guard row.count == 4, let schema = row[0], let table = row[1], let name = row[2], let type = row[3] else { continue }
            result.columns[QualifiedTable(schema: schema, table: table), default: []].append(Column(name: name, type: type))
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
