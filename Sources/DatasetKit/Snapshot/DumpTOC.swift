/// The table-data entries of a dump directory, read from `pg_restore -l` output, so that
/// each data file can be named by its table in snapshots and summaries.
public enum DumpTOC {
    /// Maps data file names (`<dumpId>.dat`) to "schema.table".
    public static func tableFiles(fromListing listing: String) -> [String: String] {
        var files: [String: String] = [:]
        for entry in DumpListing.entries(listing) where entry.desc == "TABLE DATA" {
            // "public my table postgres": the schema, the table, the owner.
            let words = entry.subject.split(separator: " ")
            guard words.count >= 3 else { continue }
            files["\(entry.id).dat"] = "\(words[0]).\(words[1..<(words.count - 1)].joined(separator: " "))"
        }
        return files
    }

    /// How many tables the dump defines, those whose rows were left out included.
    public static func tableCount(fromListing listing: String) -> Int {
        DumpListing.entries(listing).filter { $0.desc == "TABLE" }.count
    }
}
