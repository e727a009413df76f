/// One entry of a dump's table of contents, as `pg_restore --list --verbose` prints it.
public struct DumpEntry: Sendable, Equatable {
    public let id: Int
    /// The entry's kind: "TABLE DATA", "INDEX", "FK CONSTRAINT", ...
    public let desc: String
    /// The ids of the entries it depends on.
    public let dependencies: [Int]
    /// What follows the kind: schema, name and owner ("public my table postgres"); a name may
    /// hold spaces, so only the first and last words are certain.
    public let subject: String

    public init(id: Int, desc: String, dependencies: [Int] = [], subject: String = "") {
        self.id = id
        self.desc = desc
        self.dependencies = dependencies
        self.subject = subject
    }
}

/// Reads `pg_restore --list` output.
public enum DumpListing {
    /// Kinds whose names have several words, longest first so that a prefix never wins
    /// ("MATERIALIZED VIEW DATA" before "MATERIALIZED VIEW"). A kind not listed here is
    /// read as its first word, which is right for the one-word kinds.
    static let multiWordKinds = [
        "PUBLICATION TABLES IN SCHEMA", "MATERIALIZED VIEW DATA", "TEXT SEARCH CONFIGURATION", "TEXT SEARCH DICTIONARY",
        "FOREIGN DATA WRAPPER", "TEXT SEARCH TEMPLATE", "TEXT SEARCH PARSER", "PROCEDURAL LANGUAGE", "SEQUENCE OWNED BY",
        "MATERIALIZED VIEW", "PUBLICATION TABLE", "CHECK CONSTRAINT", "OPERATOR FAMILY", "OPERATOR CLASS", "BLOB METADATA",
        "DEFAULT ACL", "ACL LANGUAGE", "EVENT TRIGGER", "FK CONSTRAINT", "FOREIGN TABLE", "INDEX ATTACH", "LARGE OBJECT",
        "ROW SECURITY", "SECURITY LABEL", "SEQUENCE SET", "ACCESS METHOD", "TABLE ATTACH", "USER MAPPING", "SHELL TYPE",
        "TABLE DATA",
    ]

    /// The entries of a listing; with `--verbose`, each carries its dependencies.
    public static func entries(_ listing: String) -> [DumpEntry] {
        var entries: [DumpEntry] = []
        for line in listing.split(separator: "\n", omittingEmptySubsequences: true) {
            if line.hasPrefix(";") {
                // ";\tdepends on: 217 224 3231" belongs to the entry above it.
                let text = line.dropFirst().drop { $0 == " " || $0 == "\t" }
                guard text.hasPrefix("depends on:"), let last = entries.popLast() else { continue }
                let ids = text.dropFirst("depends on:".count).split(separator: " ").compactMap { Int($0) }
                entries.append(DumpEntry(id: last.id, desc: last.desc, dependencies: last.dependencies + ids, subject: last.subject))
                continue
            }
            // "3395; 0 16443 TABLE DATA public documents postgres"
            guard let semicolon = line.firstIndex(of: ";"), let id = Int(line[..<semicolon]) else { continue }
            let fields = line[line.index(after: semicolon)...].split(separator: " ", maxSplits: 2)
            guard fields.count == 3 else { continue }
            let rest = fields[2]
            let desc = multiWordKinds.first { rest.hasPrefix($0 + " ") } ?? String(rest.prefix { $0 != " " })
            entries.append(DumpEntry(id: id, desc: desc, subject: String(rest.dropFirst(desc.count + 1))))
        }
        return entries
    }

    /// The ids a listing names, in its order.
    public static func ids(_ listing: String) -> [Int] {
        entries(listing).map(\.id)
    }

    /// A list file for `pg_restore --use-list`: pg_restore reads the leading id of each line.
    public static func listFile(_ ids: [Int]) -> String {
        ids.map { "\($0);\n" }.joined()
    }
}
