/// The statements of the other entries the catalog needs, as pg_dump writes them.

/// `CREATE DOMAIN public.email AS public.citext NOT NULL DEFAULT … CONSTRAINT c CHECK (…);`
struct DomainDefinition: Equatable {
    var name: [String]
    /// As `format_type` wrote it: may be another domain.
    var baseType: String
    var notNull: Bool

    init(parsing defn: String) throws(DDLFailure) {
        let sql = try SQLTokens(parsingDDL: defn)
        var cursor = DDLCursor(sql, try sql.firstStatement())
        try cursor.expect("CREATE", "DOMAIN")
        name = try cursor.qualifiedName()
        try cursor.expect("AS")
        baseType = try cursor.typeName()
        notNull = false
        // NOT NULL among the clauses (pg_dump 17 and later write it as a named constraint);
        // the CHECK expressions are read over as groups.
        while !cursor.atEnd {
            if cursor.take("NOT", "NULL") {
                notNull = true
            } else {
                try cursor.skipElement()
            }
        }
    }
}

/// `CREATE TYPE public.address AS (street text, city text COLLATE pg_catalog."C");`, the
/// attributes a typed table's columns are.
struct CompositeTypeDefinition {
    var name: [String]
    var attributes: [(name: String, type: String)]

    /// nil for the TYPE entries that are not composite types (enums, ranges, base types).
    init?(parsing defn: String) throws(DDLFailure) {
        let sql = try SQLTokens(parsingDDL: defn)
        var cursor = DDLCursor(sql, try sql.firstStatement())
        try cursor.expect("CREATE", "TYPE")
        name = try cursor.qualifiedName()
        guard cursor.take("AS"), cursor.peek()?.isSymbol("(") == true else { return nil }
        attributes = []
        for element in try cursor.split(try cursor.group()) {
            var attribute = DDLCursor(sql, element)
            let name = try attribute.name()
            attributes.append((name, try attribute.typeName()))
            if attribute.take("COLLATE") { _ = try attribute.qualifiedName() }
            guard attribute.atEnd else { throw attribute.failure("COLLATE or the end of attribute \(KeyColumns.quoted(name))") }
        }
        try cursor.expectEndOfStatement()
    }
}

/// `ALTER TABLE ONLY public.orders ATTACH PARTITION public.orders_2024 FOR VALUES …;`
struct PartitionAttachment: Equatable {
    var parent: QualifiedTable
    var partition: QualifiedTable

    init(parsing defn: String) throws(DDLFailure) {
        let sql = try SQLTokens(parsingDDL: defn)
        var cursor = DDLCursor(sql, try sql.firstStatement())
        try cursor.expect("ALTER", "TABLE")
        _ = cursor.take("ONLY")
        parent = try cursor.table()
        try cursor.expect("ATTACH", "PARTITION")
        partition = try cursor.table()
        guard cursor.take("FOR", "VALUES") || cursor.take("DEFAULT") else { throw cursor.failure("FOR VALUES or DEFAULT") }
    }
}

/// A table's primary key, unique constraint or unique index: its name (the index's) and the
/// columns of its key (not those of INCLUDE).
struct UniqueKey {
    var name: String
    var table: QualifiedTable
    /// The key's elements as written: plain columns, or expressions of a unique index.
    var elements: [Range<Int>]
    var sql: SQLTokens

    /// The columns of the key, given all of the table's columns.
    func columns(of all: Set<String>) throws(DDLFailure) -> [String] {
        KeyColumns.merged(try elements.map { element throws(DDLFailure) in try KeyColumns.of(element: element, in: sql, columns: all) })
    }

    /// A CONSTRAINT entry: `ALTER TABLE ONLY t ADD CONSTRAINT c PRIMARY KEY (a, b) …;`; nil for
    /// an exclusion constraint, which is not unique.
    init?(constraint defn: String) throws(DDLFailure) {
        sql = try SQLTokens(parsingDDL: defn)
        var cursor = DDLCursor(sql, try sql.firstStatement())
        (table, name) = try Self.addConstraint(&cursor)
        if cursor.take("EXCLUDE") { return nil }
        guard cursor.take("PRIMARY", "KEY") || cursor.take("UNIQUE") else { throw cursor.failure("PRIMARY KEY, UNIQUE or EXCLUDE") }
        if cursor.take("NULLS") { _ = cursor.take("NOT"); try cursor.expect("DISTINCT") }
        elements = try cursor.split(try cursor.group())
        guard !elements.isEmpty else { throw cursor.failure("the key's columns") }
    }

    /// An INDEX entry: `CREATE UNIQUE INDEX i ON [ONLY] t USING btree (a, lower(b)) INCLUDE (c) WHERE …;`;
    /// nil for an index that is not unique.
    init?(index defn: String) throws(DDLFailure) {
        sql = try SQLTokens(parsingDDL: defn)
        var cursor = DDLCursor(sql, try sql.firstStatement())
        try cursor.expect("CREATE")
        let unique = cursor.take("UNIQUE")
        try cursor.expect("INDEX")
        guard unique else { return nil }
        name = try cursor.name()
        try cursor.expect("ON")
        _ = cursor.take("ONLY")
        table = try cursor.table()
        if cursor.take("USING") { _ = try cursor.name() }
        elements = try cursor.split(try cursor.group())
        guard !elements.isEmpty else { throw cursor.failure("the index's columns") }
    }

    /// `ALTER TABLE [ONLY] table ADD CONSTRAINT name`, as pg_dump starts a constraint's entry.
    static func addConstraint(_ cursor: inout DDLCursor) throws(DDLFailure) -> (QualifiedTable, String) {
        try cursor.expect("ALTER", "TABLE")
        _ = cursor.take("ONLY")
        let table = try cursor.table()
        try cursor.expect("ADD", "CONSTRAINT")
        return (table, try cursor.name())
    }
}

/// An FK CONSTRAINT entry: `ALTER TABLE [ONLY] t ADD CONSTRAINT c FOREIGN KEY (a) REFERENCES s.r(b) …;`
struct ForeignKeyDefinition: Equatable {
    var name: String
    var key: TableColumns.ForeignKey

    init(parsing defn: String) throws(DDLFailure) {
        let sql = try SQLTokens(parsingDDL: defn)
        var cursor = DDLCursor(sql, try sql.firstStatement())
        let (table, name) = try UniqueKey.addConstraint(&cursor)
        self.name = name
        try cursor.expect("FOREIGN", "KEY")
        let columns = try Self.names(&cursor)
        try cursor.expect("REFERENCES")
        let referenced = try cursor.table()
        let referencedColumns = try Self.names(&cursor)
        guard columns.count == referencedColumns.count else {
            throw DDLFailure(reason: "its foreign key has \(columns.count) columns but refers to \(referencedColumns.count)")
        }
        key = TableColumns.ForeignKey(table: table, columns: columns, referenced: referenced, referencedColumns: referencedColumns)
    }

    private static func names(_ cursor: inout DDLCursor) throws(DDLFailure) -> [String] {
        var list = DDLCursor(cursor.sql, try cursor.group())
        var names: [String] = []
        repeat { names.append(try list.name()) } while list.takeSymbol(",")
        guard list.atEnd else { throw list.failure("\",\" or \")\"") }
        return names
    }
}

extension SQLTokens {
    /// The tokens of one entry's SQL, a failure to split them told as the entry's failure.
    init(parsingDDL defn: String) throws(DDLFailure) {
        do { try self.init(defn) } catch { throw DDLFailure(reason: error.reason) }
    }

    /// The first statement: the one that creates what the entry is (pg_dump may add others,
    /// such as `ALTER INDEX … SET STATISTICS`, after it).
    func firstStatement() throws(DDLFailure) -> Range<Int> {
        guard let first = try statements().first else { throw DDLFailure(reason: "its SQL is empty") }
        return first
    }
}
