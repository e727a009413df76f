/// Which column types each rule's output fits, by the type's name as PostgreSQL's
/// `format_type` writes it with an empty search_path, as pg_dump does (`character
/// varying(255)`, `numeric(10,2)`, `timestamp(3) with time zone`; `public.citext`, a type
/// outside pg_catalog being schema-qualified). Domains should be given as their base type;
/// arrays fit only `null`, `keep` and `value:` (PostgreSQL checks a fixed value itself).
extension SanitizeRule {
    /// The longest output whatever the input, in characters; nil when it follows the input's
    /// length (`text`, `mask`, `phone` keep it; `date-shift` and `int-noise` keep the type).
    public var longestOutput: Int? {
        let first = NameLists.first.map(\.count).max() ?? 0
        let last = NameLists.last.map(\.count).max() ?? 0
        switch self {
        case .null: return 0
        case .value(let text): return text.unicodeScalars.count
        case .hash: return 64
        case .uuid: return 36
        case .email: return first + ".".count + 16 + "@example.com".count
        case .name: return first + 1 + last
        case .firstName: return first
        case .lastName: return last
        case .ip: return "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff/128".count
        case .keep, .phone, .text, .mask, .dateShift, .intNoise, .json: return nil
        }
    }

    /// Refuses a rule whose output the type of `column` cannot hold, in one sentence.
    public func checkFits(_ column: QualifiedColumn, type: String) throws {
        let kind = ColumnTypeKind(type)
        func refuse(_ writes: String) -> DPMError {
            DPMError.invalidInput("The sanitize rule \"\(self)\" for \(column) cannot fit its type \(type) (\(self) \(writes)).")
        }
        switch self {
        case .null, .keep, .value: return
        case .dateShift:
            guard kind == .date || kind == .text else { throw refuse("works on date, timestamp and text columns") }
        case .intNoise:
            guard kind == .number else { throw refuse("works on integer, numeric and floating-point columns") }
        case .uuid:
            guard kind == .uuid || kind == .text else { throw refuse("writes a UUID, for uuid and text columns") }
        case .ip:
            guard kind == .address || kind == .text else { throw refuse("writes an address, for inet, cidr and text columns") }
        case .hash, .email, .name, .firstName, .lastName, .phone, .text, .mask:
            guard kind == .text else { throw refuse("writes text, for text, varchar and char columns") }
        case .json:
            guard kind == .json || kind == .text else { throw refuse("rewrites values inside JSON, for json, jsonb and text columns") }
        }
        if kind == .text, let limit = ColumnTypeKind.lengthLimit(type), let longest = longestOutput, longest > limit {
            throw DPMError.invalidInput(
                "The sanitize rule \"\(self)\" for \(column) writes up to \(longest) characters, more than its type \(type) holds."
            )
        }
    }
}

/// The families of column types the rules tell apart.
enum ColumnTypeKind: Equatable {
    case text, number, date, uuid, address, json, other

    init(_ type: String) {
        let name = type.hasSuffix("]") ? "" : Self.isCitext(type) ? "citext" : String(type.prefix { $0 != "(" })
        switch name {
        case "text", "character varying", "character", "varchar", "char", "bpchar", "citext", "name": self = .text
        case "smallint", "integer", "bigint", "numeric", "decimal", "real", "double precision": self = .number
        case "uuid": self = .uuid
        case "inet", "cidr": self = .address
        case "json", "jsonb": self = .json
        default:
            self = name == "date" || name.hasPrefix("timestamp") ? .date : .other
        }
    }

    /// Whether the type is the citext extension's, in whichever schema the extension was
    /// installed (`public.citext`; plain `citext` too). Built-in types are never qualified.
    static func isCitext(_ type: String) -> Bool {
        type == "citext" || (type.hasSuffix(".citext") && !type.dropLast(".citext".count).isEmpty
            && !type.dropLast(".citext".count).contains { "()[]".contains($0) })
    }

    /// n of `character varying(n)` or `character(n)`.
    static func lengthLimit(_ type: String) -> Int? {
        guard let open = type.firstIndex(of: "("), let close = type.firstIndex(of: ")"), open < close else { return nil }
        return Int(type[type.index(after: open)..<close])
    }
}
