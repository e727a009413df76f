/// Applies the rules of one table to its COPY data lines: fields with a rule are decoded,
/// sanitized and encoded again; every other field, and the `\.` line that ends the data (and
/// whatever follows it), is copied byte for byte; a `truncate` table keeps no rows. One
/// sanitizer reads one table's data: it remembers having passed the `\.` line.
public final class TableSanitizer {
    public let table: QualifiedTable
    public let columns: [String]
    public let truncates: Bool
    /// The rule of each field, by position; nil copies the field as it is.
    private let fieldRules: [KeyedRule?]
    private let normalization: [ValueNormalization]
    /// Per field: whether the leak check must remember the values its rule replaces.
    private let remembersField: [Bool]
    /// Where replaced values are remembered for the leak check; nil: not remembered.
    public var originals: OriginalValues?
    /// Per field: whether an output equal to its input is a leak (a rule that should change
    /// every value left one as it was, e.g. `mask:16` on 16-digit card numbers).
    private let checksUnchanged: [Bool]
    /// Values stored unchanged by such a rule, by field position.
    public private(set) var unchanged: [Int: Int] = [:]
    /// False when every field is copied: then lines are copied whole, unsplit.
    private let hasFieldRules: Bool
    private var value: [UInt8] = []
    private var ended = false

    /// A sanitizer for the data of `header`; refuses rules naming a column the table lacks.
    public convenience init(header: CopyHeader, rules: SanitizeRules, key: SanitizeKey) throws {
        try self.init(table: header.table, columns: header.columns, rules: rules, key: key)
    }

    /// `types` (format_type of each column, when known): a char(n) value loses pg_dump's
    /// padding and a citext value its case before its rule sees it, so that equal values in a
    /// text column and a char(n) or citext column sanitize alike (and foreign keys still match).
    public init(table: QualifiedTable, columns: [String], types: [String]? = nil, rules: SanitizeRules, key: SanitizeKey) throws {
        self.table = table
        self.columns = columns
        let kinds = (types ?? []).map(ValueNormalization.init(type:))
        normalization = columns.indices.map { $0 < kinds.count ? kinds[$0] : .none }
        truncates = rules.truncates(table)
        let tableRules = rules.rules(of: table)
        let missing = tableRules.keys.filter { !columns.contains($0) }.sorted()
        guard missing.isEmpty else {
            let names = missing.map { "\(table).\($0)" }.joined(separator: ", ")
            throw DPMError.invalidInput(
                "The sanitize rules name \(names), which \(missing.count == 1 ? "is not a column" : "are not columns") of \(table) (its columns: \(columns.joined(separator: ", ")))."
            )
        }
        fieldRules = columns.map { name in
            guard let rule = tableRules[name], rule != .keep else { return nil }
            return KeyedRule(rule: rule, column: QualifiedColumn(table: table, column: name), key: key)
        }
        hasFieldRules = fieldRules.contains { $0 != nil }
        remembersField = columns.map { tableRules[$0]?.remembersOriginals ?? false }
        checksUnchanged = columns.map { tableRules[$0]?.alwaysChangesValues ?? false }
    }

    /// The columns whose stored values a rule writes whole. Not `json:` columns: their values
    /// keep what no path rule names, so the leak check still looks for emails in them.
    public var ruledColumns: Set<String> {
        Set(zip(columns, fieldRules).compactMap { column, rule in
            guard let rule else { return nil }
            if case .json = rule.rule { return nil }
            return column
        })
    }

    /// The columns with a `json:` rule.
    public var jsonColumns: Set<String> {
        Set(zip(columns, fieldRules).compactMap { column, rule in
            if case .json = rule?.rule { return column }
            return nil
        })
    }

    /// Whether any of the table's bytes change (if not, its data may be copied as it is).
    public var changesData: Bool { truncates || hasFieldRules }

    /// Appends the sanitized form of `line` (without its newline) and, when `newline`, a newline.
    public func sanitize(line: UnsafeRawBufferPointer, newline: Bool, into output: inout [UInt8]) throws {
        if ended || line.elementsEqual(CopyText.endOfData) {
            ended = true
            output.append(contentsOf: line)
            if newline { output.append(CopyText.newline) }
            return
        }
        if truncates { return }
        guard hasFieldRules else {
            output.append(contentsOf: line)
            if newline { output.append(CopyText.newline) }
            return
        }
        let bytes = line.bindMemory(to: UInt8.self)
        var fieldStart = 0
        var field = 0
        while true {
            let fieldEnd = line.index(of: CopyText.tab, from: fieldStart) ?? line.count
            guard field < fieldRules.count else { throw fieldCountError(atLeast: field + 1) }
            let raw = UnsafeBufferPointer(rebasing: bytes[fieldStart..<fieldEnd])
            if let rule = fieldRules[field] {
                try originals?.record(raw, at: field, wholeField: remembersField[field])
                let isValue = CopyText.decode(raw, into: &value)
                if isValue { normalization[field].apply(to: &value) }
                let sanitized = try rule.apply(to: isValue ? value : nil)
                if checksUnchanged[field], isValue, value.count >= 4, sanitized == value { unchanged[field, default: 0] += 1 }
                CopyText.encode(sanitized, into: &output)
            } else {
                output.append(contentsOf: raw)
            }
            field += 1
            guard fieldEnd < line.count else { break }
            output.append(CopyText.tab)
            fieldStart = fieldEnd + 1
        }
        guard field == fieldRules.count else { throw fieldCountError(atLeast: field) }
        if newline { output.append(CopyText.newline) }
    }

    /// The sanitized form of one line (without its newline), for tests and small callers.
    public func sanitize(line: [UInt8]) throws -> [UInt8] {
        var output: [UInt8] = []
        try line.withUnsafeBytes { try sanitize(line: $0, newline: false, into: &output) }
        return output
    }

    private func fieldCountError(atLeast count: Int) -> DPMError {
        DPMError.corrupt("A COPY data line of \(table) has \(count) fields where its header names \(columns.count) columns.")
    }
}

/// What a column's type does to a value before a rule sees it.
enum ValueNormalization {
    case none
    /// char(n): PostgreSQL pads with spaces and ignores them in comparisons.
    case trimPadding
    /// citext: compared without case.
    case lowerCase

    init(type: String) {
        if type == "character" || type == "bpchar" || type.hasPrefix("character(") {
            self = .trimPadding
        } else if ColumnTypeKind.isCitext(type) {
            self = .lowerCase
        } else {
            self = .none
        }
    }

    func apply(to value: inout [UInt8]) {
        switch self {
        case .none: return
        case .trimPadding:
            while value.last == 0x20 { value.removeLast() }
        case .lowerCase:
            if let text = String(validating: value, as: UTF8.self) {
                value = Array(text.lowercased().utf8)
            } else {
                value = value.map { (0x41...0x5A).contains($0) ? $0 + 0x20 : $0 }
            }
        }
    }
}
