import Foundation

/// What a working database held when it was switched in as an untouched copy of a template,
/// so that the stash it later becomes can be told to hold nothing else.
public struct PristineMark: Codable, Sendable, Equatable {
    /// The cluster's 64-bit transaction id just before the switch: any catalog row written
    /// in the database since carries a newer xmin.
    public var xid: String
    /// A digest of the row counts of the database's catalogs and of its sequences' states.
    public var catalog: String
    /// A digest of the media folder switched in with it (names, types, sizes, times, inodes), if any.
    public var media: String?
}

/// Tells whether a stash is still exactly the template copy it was switched in as. Every
/// doubt (statistics reset, a server restart, an xid too old to compare, an unreadable
/// catalog, any error) counts as a change: such a stash is kept.
struct PristineCheck {
    let local: LocalDatabases

    /// The mark of a fresh copy of a template, taken before anyone can connect to it; nil
    /// when it cannot be taken (the stash it becomes is then always kept).
    func mark(database: String, media: String?) -> PristineMark? {
        guard let row = try? local.query.query("SELECT txid_current()::text, \(Self.catalogColumns)", parameters: [], in: database).first,
              row.count == 4, let xid = row[0], let catalog = Self.catalogDigest(row[1...]) else { return nil }
        var mediaDigest: String?
        if let media {
            guard let digest = Self.mediaDigest(media) else { return nil }
            mediaDigest = digest
        }
        return PristineMark(xid: xid, catalog: catalog, media: mediaDigest)
    }

    /// Whether `stash` (switched in at `since` with `mark`, its media now in `media`) holds
    /// nothing but that copy: no row written, no catalog row added, changed or removed, no
    /// sequence advanced, no media file touched.
    func unchanged(_ stash: String, mark: PristineMark, since: String, media: String?) -> Bool {
        guard let recorded = Int64(mark.xid) else { return false }
        let mediaNow = media.flatMap(Self.mediaDigest)
        if (media == nil) != (mediaNow == nil) || mediaNow != mark.media { return false }
        do {
            // Statistics count every row written (this database's catalogs included; shared
            // catalogs count the whole cluster's), unless they were lost: a reset stamps
            // stats_reset, and a crash restarts the server. A catalog row newer than the mark
            // has an xmin younger than the mark's xid (age() compares 32-bit xids).
            let row = try local.query.query("""
                SELECT (SELECT stats_reset IS NULL FROM pg_stat_database WHERE datname = current_database())
                   AND pg_postmaster_start_time() < $1::timestamptz,
                       (SELECT coalesce(sum(n_tup_ins + n_tup_upd + n_tup_del), 0) FROM pg_stat_all_tables s
                         JOIN pg_class c ON c.oid = s.relid WHERE NOT c.relisshared)::text,
                       (txid_snapshot_xmax(txid_current_snapshot()) - $2::bigint)::text,
                       \(Self.catalogColumns),
                       (SELECT count(*) FROM (\(Self.readableCatalogs)) AS catalogs)::text,
                       (SELECT sum(\(Self.countOf("name || ' WHERE age(xmin) < age(' || quote_literal($3::text) || '::xid)'"))) FROM (\(Self.readableCatalogs)) AS catalogs)::text
                """, parameters: [since, String(recorded), String(recorded % (1 << 32))], in: stash).first ?? []
            guard row.count == 8, row[0] == "t", row[1] == "0", let distance = row[2].flatMap(Int64.init) else { return false }
            // age() is only meaningful well inside half the circle of 32-bit xids.
            guard distance >= 0, distance < (1 << 31) - (1 << 24) else { return false }
            guard Self.catalogDigest(row[3...5]) == mark.catalog else { return false }
            guard let catalogs = row[6].flatMap(Int.init), catalogs > 0 else { return false }
            return row[7] == "0"
        } catch {
            return false
        }
    }

    /// The database's own catalogs that this role can read, as `name` (pg_largeobject usually
    /// is not; writes to it still show in the statistics).
    private static let readableCatalogs = """
        SELECT 'pg_catalog.' || quote_ident(relname) AS name FROM pg_class
        WHERE relnamespace = 'pg_catalog'::regnamespace AND relkind = 'r' AND NOT relisshared
          AND has_table_privilege(oid, 'SELECT')
        """

    /// The row count of the table `from` (an SQL expression) names, counted by a query the
    /// statement itself runs, so that a mark and a check each take one connection.
    private static func countOf(_ from: String) -> String {
        "(xpath('/row/n/text()', query_to_xml('SELECT count(*) AS n FROM ' || \(from), false, true, '')))[1]::text::bigint"
    }

    /// Three columns for `catalogDigest`: each readable catalog's row count, each sequence's
    /// state, and how many sequences this role cannot read.
    private static let catalogColumns = """
        (SELECT string_agg(line, ',' ORDER BY line) FROM (
            SELECT name || '=' || \(countOf("name")) AS line FROM (\(readableCatalogs)) AS catalogs) AS lines),
        (SELECT string_agg(format('%I.%I=%s', schemaname, sequencename, coalesce(last_value::text, '-')), ',' ORDER BY schemaname, sequencename)
         FROM pg_sequences),
        (SELECT count(*) FROM pg_class WHERE CASE WHEN relkind = 'S' THEN NOT has_sequence_privilege(oid, 'SELECT') ELSE false END)::text
        """

    /// A digest of `catalogColumns`' three values; nil when a catalog count is missing or a
    /// sequence cannot be read (it shows no last_value: then no digest, and no recycling).
    private static func catalogDigest(_ columns: ArraySlice<String?>) -> String? {
        let values = Array(columns)
        guard values.count == 3, values[2] == "0", let lines = values[0] else { return nil }
        return SHA256Hex.of(Data("\(lines)\n\(values[1] ?? "")".utf8))
    }

    /// Every entry below `folder` with its type, size, modification and change times and
    /// inode: writing, replacing or touching a file changes one of them.
    static func mediaDigest(_ folder: String) -> String? {
        guard FolderMoves.exists(folder), let walker = FileManager.default.enumerator(atPath: folder) else { return nil }
        var lines: [String] = []
        while let relative = walker.nextObject() as? String {
            var info = stat()
            guard lstat("\(folder)/\(relative)", &info) == 0 else { return nil }
            lines.append([relative, String(info.st_mode), String(info.st_size), String(info.st_ino),
                          "\(info.st_mtim.tv_sec).\(info.st_mtim.tv_nsec)", "\(info.st_ctim.tv_sec).\(info.st_ctim.tv_nsec)"]
                .joined(separator: "\t"))
        }
        return SHA256Hex.of(Data(lines.sorted().joined(separator: "\n").utf8))
    }
}
