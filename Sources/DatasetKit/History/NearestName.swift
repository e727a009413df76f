/// The known name closest to a mistyped one, for "did you mean …" hints.
public enum NearestName {
    /// The candidate with the smallest edit distance to `text`, if it is close enough to be
    /// a plausible typo (at most a third of the text's length, and at least 1 allowed); ties
    /// go to the first candidate in `candidates`' order.
    public static func find(_ text: String, among candidates: [String]) -> String? {
        let limit = max(1, text.count / 3)
        var best: (name: String, distance: Int)?
        for candidate in candidates {
            let distance = editDistance(text, candidate)
            if distance <= limit, distance < (best?.distance ?? Int.max) { best = (candidate, distance) }
        }
        return best?.name
    }

    /// Levenshtein distance over characters.
    public static func editDistance(_ a: String, _ b: String) -> Int {
        let a = Array(a), b = Array(b)
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var previous = Array(0...b.count)
        var current = [Int](repeating: 0, count: b.count + 1)
        for i in 1...a.count {
            current[0] = i
            for j in 1...b.count {
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            }
            swap(&previous, &current)
        }
        return previous[b.count]
    }
}
