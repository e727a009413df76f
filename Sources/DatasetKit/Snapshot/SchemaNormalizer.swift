/// Makes `pg_dump --schema-only` output deterministic: two dumps of the same schema are
/// byte-identical, whatever server or client version and whenever they ran.
public enum SchemaNormalizer {
    public static func normalize(_ dump: String) -> String {
        var lines: [Substring] = []
        for line in dump.split(separator: "\n", omittingEmptySubsequences: false) {
            if isVolatile(line) { continue }
            // Two blank lines in a row appear where a dropped comment stood.
            if line.isEmpty, lines.last?.isEmpty == true { continue }
            lines.append(line)
        }
        while lines.last?.isEmpty == true { lines.removeLast() }
        return lines.joined(separator: "\n") + "\n"
    }

    private static func isVolatile(_ line: Substring) -> Bool {
        line.hasPrefix("-- Dumped from database version")
            || line.hasPrefix("-- Dumped by pg_dump version")
            || line.hasPrefix("-- Started on")
            || line.hasPrefix("-- Completed on")
            // pg_dump since 15.14 brackets plain dumps with a random per-dump key.
            || line.hasPrefix("\\restrict ")
            || line.hasPrefix("\\unrestrict ")
    }
}
