import DatasetKit
import Foundation

/// The table of contents of a dump, rebuilt from pg_dump's plain output, until dpm reads
/// custom archives' own: every object follows a header comment
/// `-- Name: X; Type: Y; Schema: Z; Owner: W` (`-- Data for Name: …` for data), and its SQL is
/// the text up to the next one, without what pg_restore adds to it on its own (OWNER TO,
/// default_tablespace, the end-of-dump comment).
enum PlainDumpEntries {
    /// The entries of `schema` (`pg_dump --schema-only`), then a TABLE DATA entry for each
    /// COPY of `data` (a plain `pg_dump` of the same database).
    static func entries(schema: String, data: String) -> [ArchiveEntry] {
        var entries: [ArchiveEntry] = []
        for section in sections(of: schema) {
            let defn = section.body.filter { !isAddedByRestore($0) }.joined(separator: "\n").trimmingCharacters(in: .whitespacesAndNewlines)
            entries.append(ArchiveEntry(dumpId: entries.count + 1, tag: section.name, desc: section.type,
                                        section: section.type == "INDEX" || section.type.hasSuffix("CONSTRAINT") ? .postData : .preData,
                                        defn: defn.isEmpty ? "" : defn + "\n", namespace: section.schema, owner: section.owner))
        }
        for section in sections(of: data) where section.type == "TABLE DATA" {
            guard let copy = section.body.first(where: { $0.hasPrefix("COPY ") }) else { continue }
            entries.append(ArchiveEntry(dumpId: entries.count + 1, hadDumper: true, tag: section.name, desc: section.type,
                                        section: .data, defn: "", copyStmt: copy + "\n", namespace: section.schema, owner: section.owner))
        }
        return entries
    }

    private struct Section {
        var name: String
        var type: String
        var schema: String?
        var owner: String?
        var body: [String] = []
    }

    private static func sections(of dump: String) -> [Section] {
        var sections: [Section] = []
        for line in dump.components(separatedBy: "\n") {
            if let header = header(line) {
                sections.append(header)
            } else if !sections.isEmpty, !line.hasPrefix("--") {
                sections[sections.count - 1].body.append(line)
            }
        }
        return sections
    }

    /// `-- [Data for ]Name: X; Type: Y; Schema: Z; Owner: W`
    private static func header(_ line: String) -> Section? {
        for prefix in ["-- Name: ", "-- Data for Name: "] where line.hasPrefix(prefix) {
            let fields = line.dropFirst(prefix.count).components(separatedBy: "; ")
            guard fields.count == 4, fields[1].hasPrefix("Type: "), fields[2].hasPrefix("Schema: "), fields[3].hasPrefix("Owner:") else { return nil }
            let schema = String(fields[2].dropFirst("Schema: ".count))
            let owner = fields[3].dropFirst("Owner:".count).trimmingCharacters(in: .whitespaces)
            return Section(name: fields[0], type: String(fields[1].dropFirst("Type: ".count)), schema: schema == "-" ? nil : schema,
                           owner: owner.isEmpty || owner == "-" ? nil : owner)
        }
        return nil
    }

    private static func isAddedByRestore(_ line: String) -> Bool {
        line.hasPrefix("SET default_tablespace") || line.hasPrefix("SET default_table_access_method") || line.hasPrefix("\\unrestrict")
            || (line.hasPrefix("ALTER ") && line.contains(" OWNER TO ") && line.hasSuffix(";"))
    }
}
