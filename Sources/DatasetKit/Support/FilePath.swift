/// POSIX path arithmetic on plain strings, as dirname(1) and basename(1) do it.
///
/// Foundation's NSString path helpers are not used anywhere in dpm: on Linux they crash
/// on some inputs (`deletingLastPathComponent` of a one-character name traps), and they
/// give "~" and trailing slashes meanings of their own. These split on the "/" byte only,
/// over Unicode scalars, so a name that starts with a combining mark cannot hide a
/// separator inside a grapheme cluster.
public enum FilePath {
    private static let slash: Unicode.Scalar = "/"

    /// Whether `path` starts at the root.
    public static func isAbsolute(_ path: String) -> Bool { path.unicodeScalars.first == slash }

    /// The non-empty components of `path`, in order: "a//b/" → ["a", "b"]; "/" → [].
    public static func components(_ path: String) -> [String] {
        path.unicodeScalars.split(separator: slash).map { String(String.UnicodeScalarView($0)) }
    }

    /// The components of `path` with empty ones kept ("a//b" → ["a", "", "b"]), for checks
    /// that must see every separator.
    public static func rawComponents(_ path: String) -> [String] {
        path.unicodeScalars.split(separator: slash, omittingEmptySubsequences: false).map { String(String.UnicodeScalarView($0)) }
    }

    /// The last component, ignoring trailing slashes: "a/b/" → "b", "x" → "x", "/" → "/", "" → "".
    public static func lastComponent(_ path: String) -> String {
        if let last = components(path).last { return last }
        return isAbsolute(path) ? "/" : ""
    }

    /// The folder that holds `path`, ignoring trailing slashes: "a/b" → "a", "x" → ".",
    /// "/x" → "/", "/" → "/", "" → ".". Like dirname(1), never empty.
    public static func parent(_ path: String) -> String {
        var parts = components(path)
        guard !parts.isEmpty else { return isAbsolute(path) ? "/" : "." }
        parts.removeLast()
        if isAbsolute(path) { return "/" + parts.joined(separator: "/") }
        return parts.isEmpty ? "." : parts.joined(separator: "/")
    }

    /// `base` and then each part, one "/" between them: join("a/", "b", "c") → "a/b/c".
    /// Parts are taken as relative (leading and trailing slashes of a part are dropped);
    /// an empty base joins to a relative path.
    public static func join(_ base: String, _ parts: String...) -> String { join(base, parts) }

    public static func join(_ base: String, _ parts: [String]) -> String {
        var result = trimmingTrailingSlashes(base)
        for part in parts {
            let inner = components(part).joined(separator: "/")
            guard !inner.isEmpty else { continue }
            if result.isEmpty {
                result = inner
            } else if result == "/" {
                result = "/" + inner
            } else {
                result += "/" + inner
            }
        }
        return result
    }

    /// `path` without trailing slashes, except that "/" stays "/".
    public static func trimmingTrailingSlashes(_ path: String) -> String {
        var scalars = path.unicodeScalars[...]
        while scalars.count > 1, scalars.last == slash { scalars = scalars.dropLast() }
        return String(String.UnicodeScalarView(scalars))
    }

    /// The folders a relative file path lies in, outermost first: "a/b/c" → ["a", "a/b"].
    public static func enclosingFolders(_ relativePath: String) -> [String] {
        let parts = components(relativePath).dropLast()
        return parts.indices.map { parts[...$0].joined(separator: "/") }
    }

    /// `path` relative to `base` when it lies strictly inside it ("/p/.dpm/x", "/p/.dpm" →
    /// "x"), else nil. Compares components byte for byte (as the kernel does, not by
    /// Unicode equivalence), so "/p/.dpmx" is not inside "/p/.dpm".
    public static func relative(_ path: String, inside base: String) -> String? {
        guard isAbsolute(path) == isAbsolute(base) else { return nil }
        let outer = components(base), inner = components(path)
        guard inner.count > outer.count, zip(outer, inner).allSatisfy({ sameBytes($0, $1) }) else { return nil }
        return inner.dropFirst(outer.count).joined(separator: "/")
    }

    /// Whether two paths are the same string of bytes (Swift's `==` would also match
    /// differently normalized Unicode, which names another file).
    public static func sameBytes(_ first: String, _ second: String) -> Bool { first.utf8.elementsEqual(second.utf8) }

    /// Whether `name` can be one component: not empty, not "." or "..", no "/" or NUL.
    public static func isPlainName(_ name: String) -> Bool {
        !name.isEmpty && !sameBytes(name, ".") && !sameBytes(name, "..") && !name.unicodeScalars.contains { $0 == slash || $0 == "\0" }
    }
}
