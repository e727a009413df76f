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
        guard let xid = try? local.query.query("SELECT txid_current()::text", parameters: [], in: database).first?.first ?? nil,
              let catalog = try? catalogDigest(database) else { return nil }
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
            // stats_reset, and a crash restarts the server.
            let facts = try local.query.query("""
                SELECT (SELECT stats_reset IS NULL FROM pg_stat_database WHERE datname = current_database())
                   AND pg_postmaster_start_time() < $1::timestamptz,
                       (SELECT coalesce(sum(n_tup_ins + n_tup_upd + n_tup_del), 0) FROM pg_stat_all_tables s
                         JOIN pg_class c ON c.oid = s.relid WHERE NOT c.relisshared)::text,
                       (txid_snapshot_xmax(txid_current_snapshot()) - $2::bigint)::text
                """, parameters: [since, String(recorded)], in: stash).first ?? []
            guard facts.count == 3, facts[0] == "t", facts[1] == "0", let distance = facts[2].flatMap(Int64.init) else { return false }
            // age() compares 32-bit xids modulo 2^32: only meaningful well inside half the circle.
            guard distance >= 0, distance < (1 << 31) - (1 << 24) else { return false }
            guard try catalogDigest(stash) == mark.catalog else { return false }
            let catalogs = try readableCatalogs(stash)
            guard !catalogs.isEmpty else { return false }
            let xid32 = String(recorded % (1 << 32))
            let newer = catalogs.map { "SELECT count(*) AS n FROM \($0) WHERE age(xmin) < age('\(xid32)'::xid)" }
                .joined(separator: " UNION ALL ")
            let count = try local.query.query("SELECT sum(n)::text FROM (\(newer)) AS rows", parameters: [], in: stash).first?.first ?? nil
            return count == "0"
        } catch {
            return false
        }
    }

    /// The database's own catalogs that this role can read (pg_largeobject usually is not;
    /// writes to it still show in the statistics).
    private func readableCatalogs(_ database: String) throws -> [String] {
        try local.query.query("""
            SELECT 'pg_catalog.' || quote_ident(relname) FROM pg_class
            WHERE relnamespace = 'pg_catalog'::regnamespace AND relkind = 'r' AND NOT relisshared
              AND has_table_privilege(oid, 'SELECT') ORDER BY 1
            """, parameters: [], in: database).compactMap { $0.first ?? nil }
    }

    private func catalogDigest(_ database: String) throws -> String {
        let catalogs = try readableCatalogs(database)
        let counts = catalogs.map { "SELECT '\($0)=' || count(*) AS line FROM \($0)" }.joined(separator: " UNION ALL ")
        // A sequence this role cannot read shows no last_value: then no digest, and no recycling.
        let rows = try local.query.query("""
            SELECT (SELECT string_agg(line, ',' ORDER BY line) FROM (\(counts)) AS c),
                   (SELECT string_agg(format('%I.%I=%s', schemaname, sequencename, coalesce(last_value::text, '-')), ',' ORDER BY schemaname, sequencename)
                    FROM pg_sequences),
                   (SELECT count(*) FROM pg_class WHERE CASE WHEN relkind = 'S' THEN NOT has_sequence_privilege(oid, 'SELECT') ELSE false END)::text
            """, parameters: [], in: database)
        guard let row = rows.first, row.count == 3, row[2] == "0", let lines = row[0] else {
            throw DPMError.database("The catalogs of \(database) cannot all be read.")
        }
        return SHA256Hex.of(Data("\(lines)\n\(row[1] ?? "")".utf8))
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
