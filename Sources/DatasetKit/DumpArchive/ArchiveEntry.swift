/// One entry of a pg_dump archive's table of contents (`ReadToc` in PostgreSQL's
/// src/bin/pg_dump/pg_backup_archiver.c): what `pg_restore --list` shows one line of.
public struct ArchiveEntry: Sendable, Equatable {
    public enum Section: Int, Sendable {
        case none = 1, preData, data, postData
    }

    public var dumpId: Int
    /// Whether pg_dump wrote data for it (table data, large objects): the entries with a data file.
    public var hadDumper: Bool
    /// e.g. "users" for a TABLE, "users_pkey" for a CONSTRAINT, "users email" for a COLUMN COMMENT.
    public var tag: String
    /// The kind: "TABLE", "TABLE DATA", "INDEX", "CONSTRAINT", "FK CONSTRAINT", "DOMAIN", "TABLE ATTACH", "DATABASE", ...
    public var desc: String
    public var section: Section
    /// The SQL that creates it, as pg_dump wrote it (search_path empty, names qualified).
    public var defn: String
    /// For TABLE DATA: "COPY public.users (id, email) FROM stdin;\n", the columns of each data line in order.
    public var copyStmt: String?
    /// The schema, for objects that live in one.
    public var namespace: String?
    public var owner: String?
    public var dependencies: [Int]

    public init(dumpId: Int, hadDumper: Bool = false, tag: String, desc: String, section: Section, defn: String,
                copyStmt: String? = nil, namespace: String? = nil, owner: String? = nil, dependencies: [Int] = []) {
        self.dumpId = dumpId
        self.hadDumper = hadDumper
        self.tag = tag
        self.desc = desc
        self.section = section
        self.defn = defn
        self.copyStmt = copyStmt
        self.namespace = namespace
        self.owner = owner
        self.dependencies = dependencies
    }
}
