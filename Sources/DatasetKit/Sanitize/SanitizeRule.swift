/// What happens to one column's values. Every rule but `null` and `value:` keeps a NULL a NULL,
/// as Greenmask and PostgreSQL Anonymizer do for their generators: a NULL carries no personal
/// data, and keeping it keeps the column's NOT NULL-ness and the share of missing values.
/// `value:` is a fixed replacement and so replaces NULLs too; `null` makes every value NULL.
/// The examples below are outputs under the key `test-key-of-sixteen`.
public enum SanitizeRule: Sendable, Hashable, CustomStringConvertible {
    /// `null`: every value becomes NULL.
    case null
    /// `value:TEXT`: every value, NULL included, becomes TEXT.
    case value(String)
    /// `keep`: looked at, not sensitive; copied byte for byte.
    case keep
    /// `hash`: 64 hex digits of a keyed HMAC-SHA256 of the value (`alice@corp.com` → `b3b46a73…11b7b8`).
    case hash
    /// `email`: `<first name>.<16 hex>@example.com`, unique per input
    /// (`alice@corp.com` → `laura.0d21df27491fcbf1@example.com`).
    case email
    /// `name`: "First Last" from built-in lists (`Alice Martin` → `Christopher Larsen`).
    case name
    /// `first_name`: one given name (`Alice` → `Helen`).
    case firstName
    /// `last_name`: one family name (`Martin` → `King`).
    case lastName
    /// `phone`: every digit replaced by a keyed digit, every letter by a keyed letter; `+`, spaces and separators kept
    /// (`+33 6 12 34 56 78` → `+12 9 30 25 37 31`).
    case phone
    /// `ip`: IPv4 becomes a keyed address in 10.0.0.0/8, IPv6 one in fd00::/8; a /mask is kept
    /// (`192.168.1.20` → `10.213.235.158`, `192.168.1.0/24` → `10.190.136.0/24`).
    case ip
    /// `uuid`: a version-4-shaped UUID from the keyed HMAC, unique per input
    /// (`alice` → `72774442-f809-421f-ab6e-f7d3f0672059`).
    case uuid
    /// `text`: lowercase words, as long as the value, line breaks kept
    /// (`12 rue de la Paix\nParis` → `tree rain trade l\nschoo`).
    case text
    /// `date-shift:DAYS`: the date part moved by a keyed number of days in ±DAYS, never 0
    /// (`date-shift:30`: `2024-02-29 13:45:00+01` → `2024-02-11 13:45:00+01`).
    case dateShift(days: Int)
    /// `int-noise:PCT`: a number changed by a keyed factor within ±PCT%, sign and scale kept
    /// (`int-noise:10`: `52000` → `57060`, `19.90` → `18.12`).
    case intNoise(percent: Int)
    /// `mask:N`: all but the last N characters become `*` (`mask:4`: `4111111111111111` → `************1111`).
    case mask(keepLast: Int)
    /// `json:` with a mapping of paths to rules: values inside a json or jsonb value
    /// (`customer.email: email` on `{"customer": {"email": "a@b.c", "id": 7}}` rewrites only the email).
    case json([JSONPathRule])

    static let maximumShiftDays = 36_500

    /// The rule written as `text` in the rules of `column`; a sentence naming both when it is not one.
    public init(parsing text: String, for column: QualifiedColumn) throws {
        let name: Substring
        let parameter: Substring?
        if let colon = text.firstIndex(of: ":") {
            name = text[..<colon]
            parameter = text[text.index(after: colon)...]
        } else {
            name = Substring(text)
            parameter = nil
        }
        func problem(_ what: String) -> DPMError {
            DPMError.invalidInput("The sanitize rule \"\(text)\" for \(column) \(what).")
        }
        func whole(_ range: ClosedRange<Int>, _ what: String) throws -> Int {
            guard let parameter, let number = Int(parameter), range.contains(number) else { throw problem(what) }
            return number
        }
        let simple: [Substring: SanitizeRule] = [
            "null": .null, "keep": .keep, "hash": .hash, "email": .email, "name": .name, "first_name": .firstName,
            "last_name": .lastName, "phone": .phone, "ip": .ip, "uuid": .uuid, "text": .text,
        ]
        switch name {
        case "value":
            guard let parameter else { throw problem("needs its text after a colon (value:TEXT)") }
            self = .value(String(parameter))
        case "date-shift":
            if let parameter, Int(parameter) == nil { throw problem("needs a whole number of days (date-shift:30)") }
            self = .dateShift(days: try whole(1...Self.maximumShiftDays, "needs a whole number of days from 1 to \(Self.maximumShiftDays) (date-shift:30)"))
        case "int-noise":
            self = .intNoise(percent: try whole(1...100, "needs a whole percentage from 1 to 100 (int-noise:10)"))
        case "mask":
            self = .mask(keepLast: try whole(0...1_000_000, "needs the number of last characters to keep (mask:4)"))
        default:
            guard let rule = simple[name] else {
                throw problem("is not a rule dpm knows (known: \(Self.ruleSummaries.joined(separator: ", ")))")
            }
            guard parameter == nil else { throw problem("takes no parameter (write \"\(name)\")") }
            self = rule
        }
    }

    static let ruleSummaries = [
        "null", "value:TEXT", "keep", "hash", "email", "name", "first_name", "last_name", "phone", "ip", "uuid", "text",
        "date-shift:DAYS", "int-noise:PCT", "mask:KEEP_LAST_N", "json: {path: rule}",
    ]

    /// The rule as it is written in profile.yaml, and as it enters the rules' digest.
    public var description: String {
        switch self {
        case .null: "null"
        case .value(let text): "value:\(text)"
        case .keep: "keep"
        case .hash: "hash"
        case .email: "email"
        case .name: "name"
        case .firstName: "first_name"
        case .lastName: "last_name"
        case .phone: "phone"
        case .ip: "ip"
        case .uuid: "uuid"
        case .text: "text"
        case .dateShift(let days): "date-shift:\(days)"
        case .intNoise(let percent): "int-noise:\(percent)"
        case .mask(let keepLast): "mask:\(keepLast)"
        case .json(let paths): "json{\(paths.sorted().map(\.description).joined(separator: ","))}"
        }
    }

    /// The name that selects the rule's derived key: the same for every column, so that one
    /// input gives one output in every table (joins and foreign keys still match).
    var keyPurpose: String {
        switch self {
        case .dateShift: "date-shift"
        case .intNoise: "int-noise"
        case .mask: "mask"
        case .json: "json"
        case .value: "value"
        default: description
        }
    }
}
