/// Compares every field of a table's stored COPY data with the original values of the
/// sanitized columns (and every email address inside a field with the original addresses),
/// counting hits per column and the origins of the values hit. Fields a rule wrote are not
/// compared: their values are outputs.
public final class LeakCheckingWriter: CopyLineWriter {
    public let table: QualifiedTable
    public let columns: [String]
    private let written: [Bool]
    /// False for `leak_check_skip` columns: only their email addresses are compared.
    private let wholeValues: [Bool]
    private let originals: LeakDigests
    private var ended = false
    private var decoded: [UInt8] = []
    /// Hits by field position, with the origins of the values found.
    public private(set) var hits: [Int: LeakHit] = [:]
    public private(set) var fieldsChecked: Int64 = 0

    /// `table` is the name hits are reported under (a partition's partitioned table); `ruled`
    /// names the columns whose stored values a rule wrote; `skipped` those whose whole values
    /// are not compared.
    public init(table: QualifiedTable, columns: [String], ruled: Set<String>, skipped: Set<String> = [], originals: LeakDigests) {
        self.table = table
        self.columns = columns
        written = columns.map { ruled.contains($0) }
        wholeValues = columns.map { !skipped.contains($0) }
        self.originals = originals
    }

    /// The hits by column, `schema.table.column`, with their origins.
    public var hitsByColumn: [String: LeakHit] {
        var named: [String: LeakHit] = [:]
        for (field, hit) in hits {
            let name = "\(table).\(field < columns.count ? columns[field] : "field \(field + 1)")"
            named[name, default: LeakHit()].add(hit)
        }
        return named
    }

    override func handle(line: UnsafeRawBufferPointer, newline: Bool) throws {
        if ended { return }
        if line.elementsEqual(CopyText.endOfData) {
            ended = true
            return
        }
        var fieldStart = 0
        var field = 0
        while true {
            let fieldEnd = line.index(of: CopyText.tab, from: fieldStart) ?? line.count
            if field >= written.count || !written[field] {
                check(UnsafeRawBufferPointer(rebasing: line[fieldStart..<fieldEnd]), field: field)
            }
            field += 1
            guard fieldEnd < line.count else { break }
            fieldStart = fieldEnd + 1
        }
    }

    private func check(_ raw: UnsafeRawBufferPointer, field: Int) {
        fieldsChecked += 1
        if raw.count >= 4, field >= wholeValues.count || wholeValues[field], let origin = originals.origin(of: LeakDigests.field(raw)) {
            return hit(field, origin)
        }
        guard raw.index(of: UInt8(ascii: "@"), from: 0) != nil else { return }
        _ = CopyText.decode(raw, into: &decoded)
        var found: UInt16?
        decoded.withUnsafeBytes { text in
            EmailTokens.forEach(in: text) { if found == nil { found = originals.origin(of: LeakDigests.email($0)) } }
        }
        if let found { hit(field, found) }
    }

    private func hit(_ field: Int, _ origin: UInt16) {
        hits[field, default: LeakHit()].add(LeakHit(count: 1, origins: [origin]))
    }
}

/// The fields of one column that hold original values, and the columns those came from.
public struct LeakHit: Sendable, Equatable {
    public var count = 0
    /// Origin numbers (see `LeakDigests.insert(_:origin:)`).
    public var origins: Set<UInt16> = []

    mutating func add(_ other: LeakHit) {
        count += other.count
        origins.formUnion(other.origins)
    }
}
