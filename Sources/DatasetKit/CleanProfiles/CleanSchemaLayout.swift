import Foundation

/// The shape of a clean profile's schema.sql: the pre-data part (types, tables, functions,
/// views), a marker line, then the post-data part (indexes, constraints, foreign keys,
/// triggers). dpm loads the part above the marker, then data.sql, then the part below it,
/// the order pg_restore uses, so seed data never has to satisfy a foreign key before all
/// of it is in. A file without the marker (written by an older dpm, or by hand) loads whole
/// before data.sql, as it always did.
public enum CleanSchemaLayout {
    public static let postDataMarker = "-- dpm:post-data"

    /// The text between the two parts, saying why the file is split.
    static let markerBlock = """
        \(postDataMarker)
        -- Indexes, constraints, foreign keys and triggers. dpm loads the part above, then
        -- data.sql, then this part, as pg_restore does.

        """

    /// One schema.sql from pg_dump's pre-data and post-data sections (each normalized).
    static func compose(preData: String, postData: String) -> String {
        preData + "\n" + markerBlock + "\n" + postData
    }

    /// The two parts of a file with the marker, or nil for a file without it. The post-data
    /// part keeps its line numbers: the lines above the marker become empty lines, so that
    /// psql's "schema.sql:LINE" names the line of the file itself.
    static func split(_ bytes: Data, file: String) throws -> (preData: Data, postData: Data)? {
        let marker = Array(postDataMarker.utf8)
        var markers: [(line: Int, start: Int, end: Int)] = []
        var lineStart = bytes.startIndex, line = 1
        while lineStart < bytes.endIndex {
            let lineEnd = bytes[lineStart...].firstIndex(of: UInt8(ascii: "\n")) ?? bytes.endIndex
            var content = bytes[lineStart..<lineEnd]
            while let last = content.last, last == UInt8(ascii: " ") || last == UInt8(ascii: "\r") || last == UInt8(ascii: "\t") {
                content = content.dropLast()
            }
            if content.elementsEqual(marker) {
                markers.append((line, lineStart, min(lineEnd + 1, bytes.endIndex)))
            }
            lineStart = lineEnd + 1
            line += 1
        }
        guard let found = markers.first else { return nil }
        guard markers.count == 1 else {
            throw DPMError.invalidInput("\(file) has the line \"\(postDataMarker)\" \(markers.count) times (lines \(markers.map { String($0.line) }.joined(separator: ", "))); it divides the schema into the part loaded before data.sql and the part loaded after it, so keep only one.")
        }
        let pre = Data(bytes[bytes.startIndex..<found.start])
        let post = Data(repeating: UInt8(ascii: "\n"), count: found.line) + Data(bytes[found.end...])
        return (pre, post)
    }

    /// Types of pg_dump entries in its post-data section, as a plain dump names them
    /// ("-- Name: …; Type: INDEX; Schema: …").
    static let postDataTypes: Set<String> = [
        "INDEX", "INDEX ATTACH", "CONSTRAINT", "FK CONSTRAINT", "CHECK CONSTRAINT", "TRIGGER", "EVENT TRIGGER", "RULE",
        "POLICY", "ROW SECURITY", "PUBLICATION", "PUBLICATION TABLE", "PUBLICATION TABLES IN SCHEMA", "SUBSCRIPTION",
        "SUBSCRIPTION TABLE", "STATISTICS", "MATERIALIZED VIEW DATA",
    ]

    /// Splits a normalized `pg_dump --schema-only` text (a shared snapshot's schema) into its
    /// sections. pg_dump prints every pre-data entry before every post-data entry, so the
    /// post-data part starts at the first entry of a post-data type; it gets the dump's
    /// opening settings too, since psql runs it as a session of its own.
    static func sections(ofSchemaDump dump: String) -> (preData: String, postData: String) {
        let lines = dump.split(separator: "\n", omittingEmptySubsequences: false)
        func entryType(_ line: Substring) -> String? {
            guard line.hasPrefix("-- Name: "), let range = line.range(of: "; Type: ") else { return nil }
            return String(line[range.upperBound...].prefix { $0 != ";" })
        }
        guard let first = lines.firstIndex(where: { entryType($0) != nil }),
              let boundary = lines.firstIndex(where: { entryType($0).map(postDataTypes.contains) ?? false }) else {
            return (dump, "")
        }
        // Each entry opens with a "--" line before its "-- Name:" line.
        let headerEnd = first > 0 && lines[first - 1] == "--" ? first - 1 : first
        let start = boundary > 0 && lines[boundary - 1] == "--" ? boundary - 1 : boundary
        let header = lines[..<headerEnd].joined(separator: "\n")
        let pre = lines[..<start].joined(separator: "\n")
        let post = lines[start...].joined(separator: "\n")
        return (SchemaNormalizer.normalize(pre), SchemaNormalizer.normalize(header + "\n" + post))
    }
}
