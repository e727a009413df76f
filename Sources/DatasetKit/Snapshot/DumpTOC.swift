/// The table-data entries of a dump directory, read from `pg_restore -l` output, so that
/// each data file can be named by its table in snapshots and summaries.
public enum DumpTOC {
    /// Maps data file names (`<dumpId>.dat`) to "schema.table".
    public static func tableFiles(fromListing listing: String) -> [String: String] {
        var files: [String: String] = [:]
        for line in listing.split(separator: "\n") where !line.hasPrefix(";") {
            // "3345; 0 16390 TABLE DATA public users owner"
            guard let semicolon = line.firstIndex(of: ";"),
                  let dumpID = Int(line[..<semicolon]),
                  let marker = line.range(of: " TABLE DATA ") else { continue }
            let rest = line[marker.upperBound...].split(separator: " ")
            guard rest.count >= 3 else { continue }
            let schema = rest[0]
            let table = rest[1..<(rest.count - 1)].joined(separator: " ")
            files["\(dumpID).dat"] = "\(schema).\(table)"
        }
        return files
    }
}
