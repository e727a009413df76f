import Foundation

/// One batch: the rows with start <= key < end.
public struct BatchBounds: Equatable, Sendable {
    public let start: String
    public let end: String
    /// No key of the walk lies at or beyond `end`.
    public let isLast: Bool
}

/// Cuts a table's key range, from its smallest key to the largest one there was when the walk
/// was planned, into batches [start, end) that follow each other with no gap and no overlap:
/// each batch starts at the first key at or after the previous batch's end, so every row in the
/// range is in exactly one batch, and empty stretches of an integer key cost no batches.
/// Bounds are text, always bound as parameters and compared by the database in the key's type.
struct KeyWalk {
    let target: TransformTarget
    let size: Int
    /// The largest key when the walk was planned; nil for an empty table.
    let last: String?
    /// A value above `last` in the key's order: the end of the final uuid or text batch.
    let beyondLast: String?

    static func plan(_ target: TransformTarget, size: Int, in session: SQLSession) throws -> KeyWalk {
        // ORDER BY … LIMIT 1 rather than max(): PostgreSQL 15 has no max(uuid), and this reads one index entry.
        // Keys come back as text AS dpm_key: an output column named like the key would make
        // ORDER BY sort the text, not the key.
        let last = try session.query("SELECT \(target.key)::text AS dpm_key FROM \(target.table) WHERE \(target.key) IS NOT NULL ORDER BY \(target.key) DESC LIMIT 1",
                                     parameters: []).first?.first ?? nil
        guard let last else { return KeyWalk(target: target, size: size, last: nil, beyondLast: nil) }
        switch target.kind {
        case .integer:
            // The final batch's end, last + 1, must be a value of the key's type.
            guard let value = Int64(last), value < target.integerLimit ?? Int64.max else {
                throw DPMError.invalidInput("The key \(target.keyName) of \(target.tableName) reaches the largest value its type holds (\(last)), "
                                            + "so no batch end lies beyond it; dpm transform cannot walk it.")
            }
            return KeyWalk(target: target, size: size, last: last, beyondLast: nil)
        case .uuid:
            guard let next = UUIDOrder.successor(of: last) else {
                throw DPMError.invalidInput("The key \(target.keyName) of \(target.tableName) holds the largest uuid, so no batch end lies beyond it; dpm transform cannot walk it.")
            }
            return KeyWalk(target: target, size: size, last: last, beyondLast: next)
        case .text:
            // Text order is the column's collation's: a value is beyond the last key only if the
            // database says so, so candidates are checked there.
            for suffix in ["z", "\u{10FFFF}", "~"] {
                let candidate = last + suffix
                let above = try? session.query("SELECT bool_and(\(target.key) < $2) FROM \(target.table) WHERE \(target.key) >= $1 AND \(target.key) <= $1",
                                               parameters: [last, candidate])
                if above?.first?.first == "t" { return KeyWalk(target: target, size: size, last: last, beyondLast: candidate) }
            }
            throw DPMError.invalidInput("dpm found no text that sorts after the largest key of \(target.tableName) in its collation, so no batch end lies beyond it; dpm transform cannot walk it.")
        }
    }

    /// The batch after the one that ended at `done` (the first batch when nil), or nil when
    /// no key of the walk is left.
    func batch(after done: String?, in session: SQLSession) throws -> BatchBounds? {
        guard let last else { return nil }
        let key = target.key, table = target.table
        let first = done == nil
            ? try session.query("SELECT \(key)::text AS dpm_key FROM \(table) WHERE \(key) <= $1 ORDER BY \(key) LIMIT 1", parameters: [last])
            : try session.query("SELECT \(key)::text AS dpm_key FROM \(table) WHERE \(key) >= $1 AND \(key) <= $2 ORDER BY \(key) LIMIT 1", parameters: [done, last])
        guard let start = first.first?.first ?? nil else { return nil }
        switch target.kind {
        case .integer:
            // The plan made sure last + 1 is a value of the key's type.
            let limit = Int64(last)! + 1
            let (sum, overflow) = Int64(start)!.addingReportingOverflow(Int64(size))
            let end = overflow || sum > limit ? limit : sum
            return BatchBounds(start: start, end: String(end), isLast: end == limit)
        case .uuid, .text:
            // Whether the key found equals the start is the collation's to say: a nondeterministic
            // one (case-insensitive, say) finds "ABC" equal to "abc".
            let next = try session.query("""
                SELECT \(key)::text AS dpm_key, \(key) = $1 FROM \(table) WHERE \(key) >= $1 AND \(key) <= $2 ORDER BY \(key) OFFSET \(size) LIMIT 1
                """, parameters: [start, last]).first
            guard let next, var end = next[0] else { return BatchBounds(start: start, end: beyondLast!, isLast: true) }
            if next[1] == "t" {
                // More than `size` rows share the start key: the batch takes all of them.
                let after = try session.query("SELECT \(key)::text AS dpm_key FROM \(table) WHERE \(key) > $1 AND \(key) <= $2 ORDER BY \(key) LIMIT 1",
                                              parameters: [start, last])
                guard let following = after.first?.first ?? nil else { return BatchBounds(start: start, end: beyondLast!, isLast: true) }
                end = following
            }
            return BatchBounds(start: start, end: end, isLast: false)
        }
    }

    /// How many keys are left from `done` on, for the estimate of the time left (uuid and text
    /// keys, whose batches hold `size` keys each); one index scan.
    func keysLeft(after done: String?, in session: SQLSession) throws -> Int64 {
        guard let last else { return 0 }
        let rows = done == nil
            ? try session.query("SELECT count(*) FROM \(target.table) WHERE \(target.key) <= $1", parameters: [last])
            : try session.query("SELECT count(*) FROM \(target.table) WHERE \(target.key) >= $1 AND \(target.key) <= $2", parameters: [done, last])
        return Int64(rows.first?.first.flatMap { $0 } ?? "0") ?? 0
    }
}

/// uuids compare as 16 unsigned bytes, so the next uuid is the 128-bit number plus one.
enum UUIDOrder {
    static func successor(of uuid: String) -> String? {
        var digits = Array(uuid.lowercased())
        for index in digits.indices.reversed() where digits[index] != "-" {
            guard let value = digits[index].hexDigitValue else { return nil }
            if value < 15 {
                digits[index] = Character(String(value + 1, radix: 16))
                return String(digits)
            }
            digits[index] = "0"
        }
        return nil
    }
}
