/// One column's rule with its derived key, ready to apply to the column's decoded values.
struct KeyedRule {
    let rule: SanitizeRule
    let column: QualifiedColumn
    private let digester: KeyedDigester
    private let fixedValue: [UInt8]?
    /// For `json:`: each path's rule, keyed as the same rule on a column (so that an email
    /// inside JSON and in a column sanitize alike).
    private let json: JSONRewriter?

    init(rule: SanitizeRule, column: QualifiedColumn, key: SanitizeKey) {
        self.rule = rule
        self.column = column
        digester = key.digester(for: rule.keyPurpose)
        if case .value(let text) = rule { fixedValue = Array(text.utf8) } else { fixedValue = nil }
        if case .json(let paths) = rule {
            json = JSONRewriter(rules: paths.map { ($0, KeyedRule(rule: $0.rule, column: column, key: key)) })
        } else {
            json = nil
        }
    }

    /// Whether the rule leaves the field's bytes as they are (so it need not be decoded).
    var keepsBytes: Bool { rule == .keep }

    /// The sanitized value of `value` (nil is NULL).
    func apply(to value: [UInt8]?) throws -> [UInt8]? {
        switch rule {
        case .null: return nil
        case .value: return fixedValue
        case .keep: return value
        default: break
        }
        guard let value else { return nil }
        switch rule {
        case .null, .value, .keep: return value
        case .hash: return KeyedIdentifiers.hash(value, digester)
        case .email: return KeyedIdentifiers.email(value, digester)
        case .uuid: return KeyedIdentifiers.uuid(value, digester)
        case .name: return PersonNames.fullName(value, digester)
        case .firstName: return PersonNames.firstName(value, digester)
        case .lastName: return PersonNames.lastName(value, digester)
        case .phone: return PhoneDigits.replace(value, digester)
        case .ip: return KeyedAddresses.address(value, digester)
        case .text: return KeyedText.words(like: value, digester)
        case .mask(let keepLast): return CharacterMask.mask(value, keepingLast: keepLast)
        case .json:
            do {
                return try json!.rewrite(value)
            } catch is JSONRewriter.NotJSON {
                throw notOfType("is not valid JSON (the json rule works on json and jsonb columns)")
            }
        case .dateShift(let days):
            guard let shifted = DateShift.shift(value, withinDays: days, digester) else {
                throw notOfType("is not a date or timestamp in ISO form (date-shift works on date and timestamp columns)")
            }
            return shifted
        case .intNoise(let percent):
            guard let noisy = NumberNoise.noise(value, withinPercent: percent, digester) else {
                throw notOfType("is not a number whose digits fit in 64 bits (int-noise works on integer, numeric and floating-point columns)")
            }
            return noisy
        }
    }

    /// Never names the value: the message may end up in a log that many people read.
    private func notOfType(_ problem: String) -> DPMError {
        DPMError.invalidInput("A value of \(column) \(problem); change its rule \"\(rule)\" in the sanitize rules.")
    }
}
