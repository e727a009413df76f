import Foundation

/// The SQL of individual dump entries, cut out of what `pg_restore --file=-` prints for them,
/// so that dpm can run each on a connection it already has (a pg_restore per index would
/// cost a process and a server connection each).
///
/// pg_restore prints each entry under a header ("-- Name: x; Type: INDEX; ...") and, before
/// the header, a `SET default_tablespace` when the tablespace changes from the entry before.
/// Entries run here in any order on any connection, so each gets the setting in force at its
/// place in the script.
public enum EntryScript {
    /// Kinds whose printed SQL is plain DDL that can run on its own.
    public static let kinds: Set<String> = [
        "INDEX", "CONSTRAINT", "FK CONSTRAINT", "CHECK CONSTRAINT", "INDEX ATTACH", "TRIGGER", "RULE", "SEQUENCE SET", "COMMENT",
    ]

    public struct Entry: Sendable, Equatable {
        /// "CONSTRAINT customers customers_pkey", for messages.
        public let name: String
        public let sql: String
    }

    /// The entries of `script` in order, or nil when it does not split cleanly into `count`.
    public static func parse(_ script: String, count: Int) -> [Entry]? {
        let lines = script.split(separator: "\n", omittingEmptySubsequences: false)
        var entries: [Entry] = []
        var tablespace: Substring?
        var pendingTablespace: Substring?
        var current: (name: String, lines: [Substring])?

        func close() {
            guard let open = current else { return }
            var body = open.lines
            while let last = body.last, last.isEmpty || last == "--" { body.removeLast() }
            while let first = body.first, first.isEmpty { body.removeFirst() }
            let prefix = tablespace.map { "\($0)\n" } ?? ""
            entries.append(Entry(name: open.name, sql: prefix + body.joined(separator: "\n") + "\n"))
            current = nil
        }

        var index = 0
        while index < lines.count {
            let line = lines[index]
            let isHeader = line == "--" && index + 2 < lines.count && lines[index + 2] == "--"
                && (lines[index + 1].hasPrefix("-- Name: ") || lines[index + 1].hasPrefix("-- Data for Name: "))
            if isHeader {
                close()
                if let pendingTablespace { tablespace = pendingTablespace }
                pendingTablespace = nil
                current = (title(lines[index + 1]), [])
                index += 3
                continue
            }
            if line.hasPrefix("SET default_tablespace = ") {
                close()
                pendingTablespace = line
            } else if line.hasPrefix("-- PostgreSQL database dump complete") || line.hasPrefix("\\unrestrict") {
                close()
            } else if current != nil {
                current!.lines.append(line)
            }
            index += 1
        }
        close()
        guard entries.count == count, entries.allSatisfy({ !$0.sql.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty }) else {
            return nil
        }
        return entries
    }

    /// "-- Name: customers customers_pkey; Type: CONSTRAINT; Schema: public; Owner: -"
    /// → "CONSTRAINT customers customers_pkey".
    static func title(_ header: Substring) -> String {
        let fields = header.drop { $0 != ":" }.dropFirst(2).components(separatedBy: "; ")
        let kind = fields.first { $0.hasPrefix("Type: ") }.map { String($0.dropFirst("Type: ".count)) }
        return [kind, fields.first].compactMap { $0 }.joined(separator: " ")
    }
}
