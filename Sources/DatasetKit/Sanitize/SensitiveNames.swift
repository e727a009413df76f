/// Column names that look personal: a profile with a `sanitize:` section must give each such
/// column a rule (`keep` counts) before it uploads. A pattern matches a column whose name, cut
/// into words at `_`, digits and lower-to-upper case changes, has a word equal to the pattern,
/// or, for patterns of four letters or more, a word that begins or ends with it (`username`,
/// `emails`); a pattern with `_` (`api_key`) matches its words in a row.
public struct SensitiveNames: Sendable, Equatable {
    public static let defaultPatterns = [
        "email", "mail", "phone", "mobile", "name", "address", "street", "zip", "postcode", "city", "ip", "birth", "dob",
        "ssn", "iban", "account_number", "card", "token", "secret", "password", "passwd", "salt", "api_key", "lat", "lng",
        "geo", "note", "comment", "message", "body",
        // Spellings the short patterns above miss (they match whole words only).
        "zipcode", "postal", "latitude", "longitude", "geolocation", "social_security",
    ]

    public let patterns: [String]
    private let patternWords: [[String]]

    public init(patterns: [String] = SensitiveNames.defaultPatterns) {
        self.patterns = patterns
        patternWords = patterns.map { Self.words(of: $0) }.filter { !$0.isEmpty }
    }

    /// The first pattern that `column` matches, or nil.
    public func match(_ column: String) -> String? {
        let words = Self.words(of: column)
        for (index, pattern) in patternWords.enumerated() {
            if pattern.count == 1 {
                let wanted = pattern[0]
                if words.contains(where: { $0 == wanted || (wanted.count >= 4 && ($0.hasPrefix(wanted) || $0.hasSuffix(wanted))) }) {
                    return patterns[index]
                }
            } else if words.count >= pattern.count,
                      (0...(words.count - pattern.count)).contains(where: { Array(words[$0..<($0 + pattern.count)]) == pattern }) {
                return patterns[index]
            }
        }
        return nil
    }

    /// Lower-case words of a name: `lastLoginIP2` → last, login, ip.
    static func words(of name: String) -> [String] {
        var words: [String] = []
        var current = ""
        var previousWasLower = false
        for character in name {
            if !character.isLetter {
                if !current.isEmpty { words.append(current) }
                current = ""
                previousWasLower = false
                continue
            }
            if character.isUppercase, previousWasLower, !current.isEmpty {
                words.append(current)
                current = ""
            }
            current += character.lowercased()
            previousWasLower = character.isLowercase
        }
        if !current.isEmpty { words.append(current) }
        return words
    }
}
