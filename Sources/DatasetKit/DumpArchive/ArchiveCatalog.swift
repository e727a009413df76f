extension TableColumns {
    /// The catalog of the database an archive was dumped from, read from its entries' SQL.
    ///
    /// It agrees with `read(from:database:)` field by field: the data's columns in the order of
    /// each TABLE DATA entry's COPY (else of the CREATE TABLE, generated columns left out), types
    /// as `format_type` writes them with an empty search_path (`public.citext`, which is how
    /// pg_dump writes them too), a domain as its base type with the domain's NOT NULL, each
    /// partition's ancestors, the columns of partition keys and of unique keys (expressions'
    /// columns included), and the foreign keys pg_dump dumps. An entry whose SQL does not read as
    /// pg_dump writes it is one sentence naming the entry, never a catalog with a guess in it.
    public static func read(fromArchive entries: [ArchiveEntry]) throws -> TableColumns {
        var catalog = ArchiveCatalog(entries)
        return try catalog.catalog()
    }
}

/// The entries of an archive, read into a `TableColumns`.
private struct ArchiveCatalog {
    private let entries: [ArchiveEntry]
    private var definitions: [QualifiedTable: (entry: ArchiveEntry, definition: TableDefinition)] = [:]
    private var domains: [[String]: (entry: ArchiveEntry, definition: DomainDefinition)] = [:]
    private var materializedViews = Set<QualifiedTable>()
    private var parents: [QualifiedTable: QualifiedTable] = [:]
    /// Each table's columns with inheritance and typed tables resolved, generated ones included.
    private var resolved: [QualifiedTable: [TableDefinition.Column]] = [:]

    init(_ entries: [ArchiveEntry]) {
        self.entries = entries
    }

    mutating func catalog() throws -> TableColumns {
        for entry in entries {
            switch entry.desc {
            case "TABLE":
                let definition = try read(entry) { try TableDefinition(parsing: $0) }
                guard definition.table.table == entry.tag, definition.table.schema == entry.namespace else {
                    throw Self.failure(entry, "it creates \(definition.table), not the table the entry names")
                }
                guard definitions[definition.table] == nil else { throw Self.failure(entry, "another entry creates \(definition.table) too") }
                definitions[definition.table] = (entry, definition)
            case "DOMAIN":
                let definition = try read(entry) { try DomainDefinition(parsing: $0) }
                domains[definition.name] = (entry, definition)
            case "MATERIALIZED VIEW":
                if let schema = entry.namespace { materializedViews.insert(QualifiedTable(schema: schema, table: entry.tag)) }
            default:
                continue
            }
        }
        for entry in entries where entry.desc == "TABLE ATTACH" {
            let attachment = try read(entry) { try PartitionAttachment(parsing: $0) }
            for table in [attachment.parent, attachment.partition] where definitions[table] == nil {
                throw Self.failure(entry, "the dump creates no table \(table)")
            }
            guard parents[attachment.partition] == nil else { throw Self.failure(entry, "\(attachment.partition) is attached twice") }
            parents[attachment.partition] = attachment.parent
        }
        var ancestors: [QualifiedTable: [QualifiedTable]] = [:]
        for table in parents.keys {
            var chain: [QualifiedTable] = []
            var current = table
            while let parent = parents[current] {
                guard parent != table, !chain.contains(parent) else {
                    throw Self.failure(definitions[table]!.entry, "its partitions are attached in a circle")
                }
                chain.append(parent)
                current = parent
            }
            ancestors[table] = chain
        }
        for table in definitions.keys.sorted() { _ = try columns(of: table, visiting: []) }

        var dataColumns: [QualifiedTable: [TableColumns.Column]] = [:]
        for (table, columns) in resolved {
            dataColumns[table] = try columns.filter { !$0.generated }.map { try column($0, of: table) }
        }
        for entry in entries where entry.desc == "TABLE DATA" {
            guard let copy = entry.copyStmt, !copy.allSatisfy(\.isWhitespace) else { continue }
            guard let schema = entry.namespace else { throw Self.failure(entry, "it names no schema") }
            let table = QualifiedTable(schema: schema, table: entry.tag)
            // The data of a table the dump does not create is an extension's configuration table
            // (PostGIS's spatial_ref_sys): CREATE EXTENSION makes it, and its columns' types are
            // not in the dump. It stays out of the catalog, as tables owned by extensions stay
            // out of rules; rules naming it are refused as naming no table.
            guard let columns = dataColumns[table] else { continue }
            guard let header = CopyHeader(parsing: copy) else { throw Self.failure(entry, "its COPY statement is not COPY table (columns) FROM stdin") }
            // With --load-via-partition-root a partition's data is copied into its root.
            guard header.table == table || ancestors[table]?.contains(header.table) == true else {
                throw Self.failure(entry, "its COPY statement loads \(header.table), not \(table)")
            }
            let byName = Dictionary(columns.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
            guard Set(header.columns) == Set(byName.keys), header.columns.count == columns.count else {
                let missing = columns.map(\.name).filter { !header.columns.contains($0) }
                let extra = header.columns.filter { byName[$0] == nil }
                throw Self.failure(entry, extra.isEmpty
                    ? "its COPY statement leaves out \(missing.map(KeyColumns.quoted).joined(separator: ", ")) of \(table)"
                    : "its COPY statement names \(extra.map(KeyColumns.quoted).joined(separator: ", ")), which \(table) lacks")
            }
            dataColumns[table] = header.columns.map { byName[$0]! }
        }

        var catalog = TableColumns(columns: dataColumns, ancestors: ancestors)
        for (table, (entry, definition)) in definitions {
            guard let key = definition.partitionKey else { continue }
            catalog.partitionKeys[table] = try read(entry) { _ in try KeyColumns.ofPartitionKey(key, columns: allColumns(of: table)) }
        }
        var unique: [QualifiedTable: [(name: String, columns: [String])]] = [:]
        for entry in entries where entry.desc == "CONSTRAINT" || entry.desc == "INDEX" {
            guard let key = try read(entry, { entry.desc == "INDEX" ? try UniqueKey(index: $0) : try UniqueKey(constraint: $0) }) else { continue }
            guard definitions[key.table] != nil else {
                if entry.desc == "INDEX", materializedViews.contains(key.table) { continue }
                throw Self.failure(entry, "the dump creates no table \(key.table)")
            }
            let columns = try read(entry) { _ in try key.columns(of: allColumns(of: key.table)) }
            if !columns.isEmpty { unique[key.table, default: []].append((key.name, columns)) }
        }
        // In the order of the indexes' names, as the live catalog lists them.
        catalog.unique = unique.mapValues { keys in keys.sorted { Self.precedes($0.name, $1.name) }.map(\.columns) }

        var foreignKeys: [(name: String, key: TableColumns.ForeignKey)] = []
        for entry in entries where entry.desc == "FK CONSTRAINT" {
            let definition = try read(entry) { try ForeignKeyDefinition(parsing: $0) }
            let key = definition.key
            guard definitions[key.table] != nil else { throw Self.failure(entry, "the dump creates no table \(key.table)") }
            let all = allColumns(of: key.table)
            if let missing = key.columns.first(where: { !all.contains($0) }) {
                throw Self.failure(entry, "its foreign key names \(KeyColumns.quoted(missing)), which is not a column of \(key.table)")
            }
            foreignKeys.append((definition.name, key))
        }
        catalog.foreignKeys = foreignKeys.sorted { lhs, rhs in
            let left = lhs.key.table, right = rhs.key.table
            if left.schema != right.schema { return Self.precedes(left.schema, right.schema) }
            if left.table != right.table { return Self.precedes(left.table, right.table) }
            return Self.precedes(lhs.name, rhs.name)
        }.map(\.key)
        return catalog
    }

    /// Byte order, as PostgreSQL sorts names (`COLLATE "C"`).
    static func precedes(_ lhs: String, _ rhs: String) -> Bool {
        lhs.utf8.lexicographicallyPrecedes(rhs.utf8)
    }

    private func allColumns(of table: QualifiedTable) -> Set<String> {
        Set((resolved[table] ?? []).map(\.name))
    }

    /// The columns of `table` as PostgreSQL has them: a typed table's from its type, an
    /// inheritance child's parents' first (merged by name), then its own.
    private mutating func columns(of table: QualifiedTable, visiting: [QualifiedTable]) throws -> [TableDefinition.Column] {
        if let done = resolved[table] { return done }
        guard let (entry, definition) = definitions[table] else { throw DPMError.internal("No definition of \(table).") }
        var columns: [TableDefinition.Column] = []
        func merge(_ column: TableDefinition.Column) {
            if let index = columns.firstIndex(where: { $0.name == column.name }) {
                columns[index].notNull = columns[index].notNull || column.notNull
                columns[index].generated = columns[index].generated || column.generated
            } else {
                columns.append(column)
            }
        }
        if let typeName = definition.typedOf {
            guard let type = try compositeType(typeName) else {
                throw Self.failure(entry, "the dump creates no composite type \(typeName.joined(separator: ".")) for its columns")
            }
            columns = type.attributes.map { TableDefinition.Column(name: $0.name, type: $0.type, notNull: false, generated: false) }
            for option in definition.columns {
                guard columns.contains(where: { $0.name == option.name }) else {
                    throw Self.failure(entry, "it sets options of \(KeyColumns.quoted(option.name)), which its type lacks")
                }
                merge(option)
            }
        } else {
            for parent in definition.inherits {
                guard definitions[parent] != nil else { throw Self.failure(entry, "the dump creates no table \(parent) for it to inherit from") }
                guard !visiting.contains(parent), parent != table else { throw Self.failure(entry, "its tables inherit from each other in a circle") }
                for column in try self.columns(of: parent, visiting: visiting + [table]) { merge(column) }
            }
            for column in definition.columns { merge(column) }
        }
        for name in definition.setNotNull {
            guard let index = columns.firstIndex(where: { $0.name == name }) else {
                throw Self.failure(entry, "it makes \(KeyColumns.quoted(name)) NOT NULL, which is not one of its columns")
            }
            columns[index].notNull = true
        }
        resolved[table] = columns
        return columns
    }

    /// The composite type a typed table is of; nil when no TYPE entry creates it.
    private func compositeType(_ name: [String]) throws -> CompositeTypeDefinition? {
        for entry in entries where entry.desc == "TYPE" && entry.namespace == name.first && entry.tag == name.last {
            if let type = try read(entry, { try CompositeTypeDefinition(parsing: $0) }), type.name == name { return type }
        }
        return nil
    }

    /// A column of the data: its type with domains resolved to their base type, NOT NULL when
    /// the column or any domain on the way is.
    private func column(_ definition: TableDefinition.Column, of table: QualifiedTable) throws -> TableColumns.Column {
        guard var type = definition.type else { throw DPMError.internal("No type for \(table).\(definition.name).") }
        var notNull = definition.notNull
        var seen: [[String]] = []
        while let name = Self.typeName(type), let (entry, domain) = domains[name] {
            guard !seen.contains(name) else { throw Self.failure(entry, "its domains are based on each other in a circle") }
            seen.append(name)
            type = domain.baseType
            notNull = notNull || domain.notNull
        }
        return TableColumns.Column(name: definition.name, type: type, notNull: notNull)
    }

    /// The name of a type written as a bare (qualified) name, as a domain's is: nil for one
    /// with a modifier or brackets (a domain takes neither; an array of a domain stays an array).
    private static func typeName(_ type: String) -> [String]? {
        guard let sql = try? SQLTokens(type) else { return nil }
        var cursor = DDLCursor(sql)
        guard let name = try? cursor.qualifiedName(), cursor.atEnd else { return nil }
        return name
    }

    /// Reads an entry's SQL with `parse`, a failure told as the entry's.
    private func read<T>(_ entry: ArchiveEntry, _ parse: (String) throws -> T) throws -> T {
        do {
            return try parse(entry.defn)
        } catch let failure as DDLFailure {
            throw Self.failure(entry, failure.reason)
        }
    }

    static func failure(_ entry: ArchiveEntry, _ reason: String) -> DPMError {
        let schema = entry.namespace.map { " in schema \($0)" } ?? ""
        return DPMError.corrupt("dpm cannot read the dump's entry \(entry.dumpId) (\(entry.desc) \(entry.tag)\(schema)): \(reason).")
    }
}
