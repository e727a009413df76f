/// pg_dump's `COPY schema.table (a, "B c") FROM stdin;` line: which table the data lines that
/// follow belong to, and the order of their fields.
public struct CopyHeader: Sendable, Equatable {
    public var table: QualifiedTable
    public var columns: [String]

    public init(table: QualifiedTable, columns: [String]) {
        self.table = table
        self.columns = columns
    }

    /// The header of `line` (with or without its newline); nil when it is not a COPY … FROM stdin line.
    public init?(parsing line: String) {
        var scanner = IdentifierScanner(Array(line.unicodeScalars))
        guard scanner.take("COPY "), let schema = scanner.identifier(), scanner.take("."), let table = scanner.identifier() else {
            return nil
        }
        scanner.skipSpaces()
        var columns: [String] = []
        if scanner.take("(") {
            repeat {
                scanner.skipSpaces()
                guard let column = scanner.identifier() else { return nil }
                columns.append(column)
                scanner.skipSpaces()
            } while scanner.take(",")
            guard scanner.take(")") else { return nil }
            scanner.skipSpaces()
        }
        guard scanner.take("FROM stdin;") else { return nil }
        scanner.skipSpaces()
        guard scanner.atEnd else { return nil }
        self.init(table: QualifiedTable(schema: schema, table: table), columns: columns)
    }
}

/// Reads SQL identifiers as pg_dump writes them: plain, or in double quotes with `""` for a quote.
private struct IdentifierScanner {
    private let scalars: [Unicode.Scalar]
    private var position = 0

    init(_ scalars: [Unicode.Scalar]) { self.scalars = scalars }

    var atEnd: Bool { position == scalars.count }

    mutating func take(_ text: String) -> Bool {
        let wanted = Array(text.unicodeScalars)
        guard scalars.count - position >= wanted.count, Array(scalars[position..<(position + wanted.count)]) == wanted else {
            return false
        }
        position += wanted.count
        return true
    }

    mutating func skipSpaces() {
        while position < scalars.count, [" ", "\n", "\r", "\t"].contains(scalars[position]) { position += 1 }
    }

    mutating func identifier() -> String? {
        var name = String.UnicodeScalarView()
        if take("\"") {
            while position < scalars.count {
                if take("\"\"") {
                    name.append("\"")
                } else if take("\"") {
                    return name.isEmpty ? nil : String(name)
                } else {
                    name.append(scalars[position])
                    position += 1
                }
            }
            return nil
        }
        while position < scalars.count, !" .,()\"\n\r\t".unicodeScalars.contains(scalars[position]) {
            name.append(scalars[position])
            position += 1
        }
        return name.isEmpty ? nil : String(name)
    }
}
