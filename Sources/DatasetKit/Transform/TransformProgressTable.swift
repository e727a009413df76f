import Foundation

/// What `dpm_transform_progress` holds for one transform file.
public struct TransformProgressRow: Codable, Equatable, Sendable {
    /// The end (exclusive) of the last committed batch: the next batch starts at the first key
    /// at or after it. Nil before the first batch.
    /// The table and key column the batches walked.
    public var table: String
    public var key: String
    public var lastKeyDone: String?
    public var batches: Int64
    public var rows: Int64
    public var started: String
    public var finished: String?
}

/// The progress table in the target database. Each batch's row update commits in the batch's
/// own transaction, so the table says exactly which batches are done, whatever killed a run.
struct TransformProgressTable {
    static let name = "dpm_transform_progress"
    let session: SQLSession
    let file: String
    /// The walk's table and key, as the catalog spells them.
    let table: String
    let key: String

    private func create() throws {
        try session.query("""
            CREATE TABLE IF NOT EXISTS \(Self.name) (
              file text PRIMARY KEY,
              table_name text NOT NULL,
              key_column text NOT NULL,
              last_key_done text,
              batches bigint NOT NULL DEFAULT 0,
              rows bigint NOT NULL DEFAULT 0,
              started timestamptz NOT NULL DEFAULT now(),
              updated timestamptz NOT NULL DEFAULT now(),
              finished timestamptz
            )
            """, parameters: [])
    }

    /// The file's row, nil when the table or the row does not exist.
    func read() throws -> TransformProgressRow? {
        guard try session.query("SELECT to_regclass($1) IS NOT NULL", parameters: [Self.name]).first?.first == "t" else { return nil }
        let rows = try session.query("""
            SELECT table_name, key_column, last_key_done, batches::text, rows::text, to_char(started AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
                   to_char(finished AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')
            FROM \(Self.name) WHERE file = $1
            """, parameters: [file])
        guard let row = rows.first else { return nil }
        return TransformProgressRow(table: row[0] ?? "", key: row[1] ?? "", lastKeyDone: row[2], batches: Int64(row[3] ?? "0") ?? 0,
                                    rows: Int64(row[4] ?? "0") ?? 0, started: row[5] ?? "", finished: row[6])
    }

    /// Starts the file's row afresh (the table too, on first use): the first run, or `--again`
    /// after a finished one.
    func start() throws {
        try create()
        try session.query("""
            INSERT INTO \(Self.name) (file, table_name, key_column) VALUES ($1, $2, $3)
            ON CONFLICT (file) DO UPDATE SET table_name = $2, key_column = $3, last_key_done = NULL, batches = 0, rows = 0,
              started = now(), updated = now(), finished = NULL
            """, parameters: [file, table, key])
    }

    /// Records a batch, inside its transaction. The row must still say `previous`: otherwise
    /// another run got there first, and the batch must roll back.
    func record(_ bounds: BatchBounds, rows: Int64, previous: String?) throws {
        let updated = try session.query("""
            UPDATE \(Self.name) SET last_key_done = $2, batches = batches + 1, rows = rows + $3::bigint, updated = now(),
              finished = CASE WHEN $4::boolean THEN now() END
            WHERE file = $1 AND last_key_done IS NOT DISTINCT FROM $5 AND finished IS NULL RETURNING 1
            """, parameters: [file, bounds.end, String(rows), bounds.isLast ? "true" : "false", previous])
        guard updated.count == 1 else {
            throw DPMError.conflict("The progress of \(file) in \(Self.name) changed while this batch ran: another run of it is going on.")
        }
    }

    /// Marks the walk done when it ended with no batch left (an empty table, or a run killed
    /// after its last batch committed).
    func finish() throws {
        try session.query("UPDATE \(Self.name) SET finished = now(), updated = now() WHERE file = $1 AND finished IS NULL", parameters: [file])
    }
}
