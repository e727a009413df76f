/// Compares every field of a table's stored COPY data with the original values of the
/// sanitized columns (and every email address inside a field with the original addresses),
/// counting hits per column. Fields a rule wrote are not compared: their values are outputs.
public final class LeakCheckingWriter: CopyLineWriter {
    public let table: QualifiedTable
    public let columns: [String]
    private let written: [Bool]
    private let originals: LeakDigests
    private var ended = false
    private var decoded: [UInt8] = []
    /// Hits by field position.
    public private(set) var hits: [Int: Int] = [:]
    public private(set) var fieldsChecked: Int64 = 0

    /// `ruled` names the columns whose stored values a rule wrote.
    public init(table: QualifiedTable, columns: [String], ruled: Set<String>, originals: LeakDigests) {
        self.table = table
        self.columns = columns
        written = columns.map { ruled.contains($0) }
        self.originals = originals
    }

    /// The hits by column, `schema.table.column`.
    public var hitsByColumn: [String: Int] {
        var named: [String: Int] = [:]
        for (field, count) in hits {
            named["\(table).\(field < columns.count ? columns[field] : "field \(field + 1)")", default: 0] += count
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
        if raw.count >= 4, originals.contains(LeakDigests.field(raw)) {
            hits[field, default: 0] += 1
            return
        }
        guard raw.index(of: UInt8(ascii: "@"), from: 0) != nil else { return }
        _ = CopyText.decode(raw, into: &decoded)
        var found = false
        decoded.withUnsafeBytes { text in
            EmailTokens.forEach(in: text) { if !found, originals.contains(LeakDigests.email($0)) { found = true } }
        }
        if found { hits[field, default: 0] += 1 }
    }
}
