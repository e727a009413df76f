import Foundation

/// Finds and hides the secrets that a connection string or a URL may carry, in anything dpm
/// prints. It reads the text as written, without libpq, so it also works on strings that
/// libpq cannot parse (whose parse errors quote them): where the text is ambiguous it takes
/// more, never less, as secret.
public enum Redaction {
    /// The connection keywords whose values are secrets (libpq marks the same ones for hiding).
    public static let secretKeywords: Set<String> = ["password", "sslpassword", "oauth_client_secret"]

    public static let mask = "***"

    /// The pieces of `text` that may be secrets: the password in a URL's user information
    /// (`scheme://user:password@host`), and the values of password-like keywords, as
    /// `keyword=value` pairs or URL query parameters. Each also percent-decoded.
    public static func secretFragments(of text: String) -> [String] {
        var fragments: [String] = []
        if let password = urlPassword(in: text) { fragments.append(password) }
        fragments += keywordValues(in: text)
        fragments += fragments.compactMap { $0.removingPercentEncoding }
        return Array(Set(fragments.filter { !$0.isEmpty })).sorted { $0.count > $1.count }
    }

    /// `text` with every secret fragment replaced by `***`.
    public static func redacted(_ text: String) -> String {
        mask(secretFragments(of: text), in: text)
    }

    /// `message` (e.g. libpq's parse error) without any secret of `source`: `source` itself
    /// appears redacted, every fragment is masked, and a quoted piece of the message that is
    /// part of a fragment (a parser quoting the token it choked on) is masked as well.
    public static func scrub(_ message: String, secretsOf source: String) -> String {
        let fragments = secretFragments(of: source)
        guard !fragments.isEmpty else { return message }
        var result = message.replacingOccurrences(of: source, with: mask(fragments, in: source))
        result = mask(fragments, in: result)
        return maskQuoted(in: result) { quoted in fragments.contains { $0.contains(quoted) } }
    }

    /// `text` with each of `secrets` (longest first) replaced by `***`.
    public static func mask(_ secrets: [String], in text: String) -> String {
        secrets.filter { !$0.isEmpty }.sorted { $0.count > $1.count }.reduce(text) {
            $0.replacingOccurrences(of: $1, with: mask)
        }
    }

    /// The user information of a URL (`scheme://user:password@`) replaced by `***@`, for URLs
    /// that must not carry any (an S3 endpoint).
    public static func withoutUserInfo(_ url: String) -> String {
        guard let authority = authorityRange(in: url), let at = url[authority].lastIndex(of: "@") else { return url }
        return String(url[..<authority.lowerBound]) + mask + String(url[at...])
    }

    /// Whether `url` has user information (`user@` or `user:password@`).
    public static func hasUserInfo(_ url: String) -> Bool {
        guard let authority = authorityRange(in: url) else { return false }
        return url[authority].contains("@")
    }

    // MARK: Reading the text

    /// From after `scheme://` to the first `/`, `?` or `#` after the last `@` before any of `?#`;
    /// a password may contain `/`, so the user information runs to the last `@`.
    private static func authorityRange(in text: String) -> Range<String.Index>? {
        guard let scheme = text.range(of: #"^\s*[A-Za-z][A-Za-z0-9+.-]*://"#, options: .regularExpression) else { return nil }
        let rest = text[scheme.upperBound...]
        let beforeQuery = rest.prefix { $0 != "?" && $0 != "#" }
        if let at = beforeQuery.lastIndex(of: "@") {
            let end = rest[at...].firstIndex { $0 == "/" || $0 == "?" || $0 == "#" } ?? text.endIndex
            return scheme.upperBound..<end
        }
        let end = rest.firstIndex { $0 == "/" || $0 == "?" || $0 == "#" } ?? text.endIndex
        return scheme.upperBound..<end
    }

    private static func urlPassword(in text: String) -> String? {
        guard let authority = authorityRange(in: text), let at = text[authority].lastIndex(of: "@") else { return nil }
        let userInfo = text[authority.lowerBound..<at]
        guard let colon = userInfo.firstIndex(of: ":") else { return nil }
        return String(userInfo[userInfo.index(after: colon)...])
    }

    /// Values of secret keywords: `keyword='quoted value'`, `keyword = value` up to the next
    /// `word =` (an unquoted value with a space is still all secret), and `?keyword=value&`.
    private static func keywordValues(in text: String) -> [String] {
        var values: [String] = []
        let names = secretKeywords.sorted().joined(separator: "|")
        let patterns = [
            #"(?i)(?:^|\s)(?:"# + names + #")\s*=\s*'((?:[^'\\]|\\.)*)'?"#,
            #"(?i)(?:^|\s)(?:"# + names + #")\s*=\s*(.*?)(?=\s+[A-Za-z_]+\s*=|$)"#,
            #"(?i)[?&](?:"# + names + #")=([^&#]*)"#,
        ]
        for pattern in patterns {
            guard let expression = try? NSRegularExpression(pattern: pattern, options: [.dotMatchesLineSeparators]) else { continue }
            let whole = NSRange(text.startIndex..., in: text)
            for match in expression.matches(in: text, range: whole) {
                guard let range = Range(match.range(at: 1), in: text) else { continue }
                values.append(String(text[range]))
            }
        }
        return values
    }

    /// Replaces each `"quoted"` piece of `text` for which `isSecret` holds.
    private static func maskQuoted(in text: String, where isSecret: (String) -> Bool) -> String {
        var result = ""
        var rest = Substring(text)
        while let open = rest.firstIndex(of: "\"") {
            result += rest[...open]
            let afterOpen = rest.index(after: open)
            guard let close = rest[afterOpen...].firstIndex(of: "\"") else {
                rest = rest[afterOpen...]
                break
            }
            let quoted = String(rest[afterOpen..<close])
            result += !quoted.isEmpty && isSecret(quoted) ? mask : quoted
            result += "\""
            rest = rest[rest.index(after: close)...]
        }
        return result + rest
    }
}
