/// What dpm needs from pg_restore to load table data itself: the session settings a restore
/// starts with (printed before the first entry of any of its scripts) (client encoding, search path, ...) and each table's COPY statement, in the
/// order of the list they were asked for. Read from `pg_restore --data-only --file=-` run
/// over empty data files, so the statements are pg_restore's own whatever its version.
public struct DataLoadScript: Sendable, Equatable {
    /// "SET client_encoding = 'UTF8';", "SELECT pg_catalog.set_config('search_path', '', false);", ...
    public let settings: [String]
    /// "COPY public.users (id, name) FROM stdin;", one per table data entry.
    public let copyStatements: [String]

    public static func parse(_ script: String) -> DataLoadScript {
        var settings: [String] = []
        var copies: [String] = []
        var inHeader = true
        for line in script.split(separator: "\n", omittingEmptySubsequences: true) {
            if line.hasPrefix("-- Name: ") || line.hasPrefix("-- Data for Name: ") { inHeader = false }
            if line.hasPrefix("COPY ") {
                copies.append(String(line))
            } else if inHeader, line.hasPrefix("SET ") || line.hasPrefix("SELECT pg_catalog.set_config(") {
                settings.append(String(line))
            }
        }
        return DataLoadScript(settings: settings, copyStatements: copies)
    }
}
