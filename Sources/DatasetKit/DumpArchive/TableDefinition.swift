/// A table as the SQL of its TABLE entry creates it: pg_dump's `CREATE [UNLOGGED] TABLE`
/// with the columns it prints (all of a partition's; of an inheritance child only those it
/// does not just inherit), then `ALTER TABLE ONLY … ALTER COLUMN … SET NOT NULL` for inherited
/// columns that are NOT NULL in it alone.
struct TableDefinition: Equatable {
    struct Column: Equatable {
        var name: String
        /// As `format_type` wrote it; nil for a typed table's column, whose type is its type's.
        var type: String?
        var notNull: Bool
        /// `GENERATED ALWAYS AS (…) STORED`: computed on restore, so not in the data.
        var generated: Bool
    }

    var table: QualifiedTable
    var columns: [Column]
    /// `OF type`: a typed table, whose columns are the type's attributes.
    var typedOf: [String]?
    var inherits: [QualifiedTable]
    /// What follows PARTITION BY: `RANGE (created_at)`.
    var partitionKey: String?
    /// Columns that a later statement makes NOT NULL.
    var setNotNull: [String]

    init(parsing defn: String) throws(DDLFailure) {
        let sql = try SQLTokens(parsingDDL: defn)
        let statements = try sql.statements()
        guard let create = statements.first else { throw DDLFailure(reason: "its SQL is empty") }
        var cursor = DDLCursor(sql, create)
        try cursor.expect("CREATE")
        _ = cursor.take("UNLOGGED")
        try cursor.expect("TABLE")
        table = try cursor.table()
        typedOf = cursor.take("OF") ? try cursor.qualifiedName() : nil
        columns = []
        if typedOf == nil || cursor.peek()?.isSymbol("(") == true {
            for element in try cursor.split(try cursor.group()) {
                if let column = try Self.column(element, in: sql, typed: typedOf != nil) { columns.append(column) }
            }
        }
        inherits = []
        partitionKey = nil
        while !cursor.atEnd {
            if cursor.take("INHERITS") {
                var list = DDLCursor(sql, try cursor.group())
                repeat { inherits.append(try list.table()) } while list.takeSymbol(",")
                guard list.atEnd else { throw list.failure("\",\" or \")\"") }
            } else if cursor.take("PARTITION", "BY") {
                let start = cursor.position
                _ = try cursor.name()
                _ = try cursor.group()
                partitionKey = sql.text(start..<cursor.position)
            } else if cursor.take("WITH") || cursor.take("OPTIONS") {
                _ = try cursor.group()
            } else if cursor.take("USING") || cursor.take("TABLESPACE") || cursor.take("SERVER") {
                _ = try cursor.name()
            } else {
                throw cursor.failure("INHERITS, PARTITION BY or WITH after the column list")
            }
        }
        setNotNull = []
        for statement in statements.dropFirst() {
            if let column = try Self.notNullColumn(statement, in: sql, of: table) { setNotNull.append(column) }
        }
    }

    /// One element of the column list: a column, or nil for a table constraint (`CONSTRAINT c CHECK (…)`).
    private static func column(_ element: Range<Int>, in sql: SQLTokens, typed: Bool) throws(DDLFailure) -> Column? {
        var cursor = DDLCursor(sql, element)
        if cursor.take("CONSTRAINT") { return nil }
        var column = Column(name: try cursor.name(), type: nil, notNull: false, generated: false)
        if typed {
            _ = cursor.take("WITH", "OPTIONS")
        } else {
            guard !cursor.atEnd, !isClauseStart(cursor) else { throw cursor.failure("the type of column \(KeyColumns.quoted(column.name))") }
            column.type = try cursor.typeName()
        }
        while !cursor.atEnd {
            if cursor.take("NOT", "NULL") {
                column.notNull = true
            } else if cursor.take("NULL") {
                continue
            } else if cursor.take("DEFAULT") {
                // The expression: pg_dump writes one that has operators at its top in
                // parentheses, so it ends where the next clause starts.
                guard !cursor.atEnd else { throw cursor.failure("a default expression") }
                repeat { try cursor.skipElement() } while !cursor.atEnd && !isClauseStart(cursor, after: true)
            } else if cursor.take("GENERATED") {
                if cursor.take("ALWAYS", "AS"), cursor.peek()?.isSymbol("(") == true {
                    _ = try cursor.group()
                    guard cursor.take("STORED") || cursor.take("VIRTUAL") else { throw cursor.failure("STORED") }
                    column.generated = true
                } else {
                    // An identity column (pg_dump adds identity later, but accept it here): its values are data.
                    _ = cursor.take("ALWAYS") || cursor.take("BY", "DEFAULT")
                    try cursor.expect("AS", "IDENTITY")
                    if cursor.peek()?.isSymbol("(") == true { _ = try cursor.group() }
                }
            } else if cursor.take("COLLATE") {
                _ = try cursor.qualifiedName()
            } else if cursor.take("CONSTRAINT") {
                _ = try cursor.name()
            } else if cursor.take("CHECK") {
                _ = try cursor.group()
                _ = cursor.take("NO", "INHERIT")
            } else {
                throw cursor.failure("DEFAULT, GENERATED, NOT NULL or COLLATE in column \(KeyColumns.quoted(column.name))")
            }
        }
        return column
    }

    /// Whether the cursor is at the keyword that starts a column clause (not a word of its type).
    /// `afterDefault`: within a default expression, where NULL is a value and NOT starts a
    /// clause only as NOT NULL.
    private static func isClauseStart(_ cursor: DDLCursor, after afterDefault: Bool = false) -> Bool {
        guard cursor.atKeyword(["DEFAULT", "GENERATED", "COLLATE", "CONSTRAINT", "CHECK", "NULL", "NOT"]), let token = cursor.peek() else { return false }
        switch token.text.uppercased() {
        case "DEFAULT", "GENERATED", "COLLATE", "CONSTRAINT", "CHECK": return true
        case "NULL": return !afterDefault
        case "NOT": return !afterDefault || cursor.peek(1)?.isKeyword("NULL") == true
        default: return false
        }
    }

    /// The column of `ALTER TABLE ONLY table ALTER COLUMN column SET NOT NULL`; nil for the
    /// other statements pg_dump writes after a CREATE TABLE (statistics, storage, options,
    /// replica identity), which say nothing about the data's columns.
    private static func notNullColumn(_ statement: Range<Int>, in sql: SQLTokens, of table: QualifiedTable) throws(DDLFailure) -> String? {
        var cursor = DDLCursor(sql, statement)
        guard cursor.take("ALTER") else { throw cursor.failure("only ALTER statements after the CREATE TABLE") }
        guard cursor.take("TABLE") else { return nil }
        _ = cursor.take("ONLY")
        let target = try cursor.table()
        if cursor.take("DROP", "COLUMN") || cursor.take("ADD", "COLUMN") || cursor.take("INHERIT") || cursor.take("OF") {
            throw DDLFailure(reason: "it changes the table's columns after creating it, as only binary-upgrade dumps do")
        }
        guard target == table, cursor.take("ALTER", "COLUMN") else { return nil }
        let column = try cursor.name()
        return cursor.take("SET", "NOT", "NULL") ? column : nil
    }
}
