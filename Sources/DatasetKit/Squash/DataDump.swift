/// A `pg_dump --data-only` dump read as content: each table's rows as a sorted list (the
/// order pg_dump prints rows in is the order they sit on disk, which updates change) and
/// the sequence positions.
struct DataDump: Equatable {
    /// The COPY header ("COPY public.tasks (id, title) FROM stdin;") → its rows, sorted.
    var tables: [String: [String]]
    var sequences: [String]

    init(_ dump: String) {
        var tables: [String: [String]] = [:]
        var sequences: [String] = []
        var current: String?
        for line in dump.split(separator: "\n", omittingEmptySubsequences: false) {
            if let header = current {
                if line == "\\." { current = nil } else { tables[header, default: []].append(String(line)) }
            } else if line.hasPrefix("COPY ") {
                current = String(line)
                tables[String(line)] = tables[String(line)] ?? []
            } else if line.hasPrefix("SELECT pg_catalog.setval(") {
                sequences.append(String(line))
            }
        }
        self.tables = tables.mapValues { $0.sorted() }
        self.sequences = sequences.sorted()
    }

    /// How this dump differs from `expected`, in words; nil when it holds the same content.
    func difference(from expected: DataDump) -> String? {
        var counts: [String] = [], values: [String] = []
        for header in Set(tables.keys).union(expected.tables.keys).sorted() where tables[header] != expected.tables[header] {
            let name = String(header.dropFirst("COPY ".count).prefix { $0 != " " })
            let have = tables[header]?.count ?? 0, want = expected.tables[header]?.count ?? 0
            if have != want { counts.append("\(name) has \(have) rows instead of \(want)") } else { values.append(name) }
        }
        if sequences != expected.sequences { values.append("sequence positions") }
        guard !counts.isEmpty || !values.isEmpty else { return nil }
        var parts = counts
        if !values.isEmpty {
            parts.append("other values in \(values.joined(separator: ", ")) (defaults such as now() give new values on every load)")
        }
        return parts.joined(separator: "; ")
    }
}
