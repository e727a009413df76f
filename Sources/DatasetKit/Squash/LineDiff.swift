/// A unified diff of two texts, line by line, for showing where two schemas differ.
public enum LineDiff {
    /// "--- label" / "+++ label" headers and hunks with `context` lines around each change;
    /// at most `maxLines` hunk lines, then a count of the rest. Empty when the texts are equal.
    public static func unified(from old: String, to new: String, fromLabel: String, toLabel: String,
                               context: Int = 3, maxLines: Int = 200) -> String {
        let a = lines(old), b = lines(new)
        let edits = script(a, b)
        guard edits.contains(where: { $0.mark != " " }) else { return "" }

        // Hunks: runs of edits joined when their contexts touch.
        var hunks: [Range<Int>] = []
        for (index, edit) in edits.enumerated() where edit.mark != " " {
            let range = max(0, index - context)..<min(edits.count, index + context + 1)
            if let last = hunks.last, range.lowerBound <= last.upperBound {
                hunks[hunks.count - 1] = last.lowerBound..<max(last.upperBound, range.upperBound)
            } else {
                hunks.append(range)
            }
        }
        var output = ["--- \(fromLabel)", "+++ \(toLabel)"]
        var printed = 0, omitted = 0
        for hunk in hunks {
            let slice = edits[hunk]
            let oldStart = (slice.first { $0.mark != "+" }?.oldLine ?? 0) + 1
            let newStart = (slice.first { $0.mark != "-" }?.newLine ?? 0) + 1
            let oldCount = slice.filter { $0.mark != "+" }.count
            let newCount = slice.filter { $0.mark != "-" }.count
            let body = ["@@ -\(oldStart),\(oldCount) +\(newStart),\(newCount) @@"] + slice.map { "\($0.mark)\($0.text)" }
            for line in body {
                if printed < maxLines { output.append(line); printed += 1 } else { omitted += 1 }
            }
        }
        if omitted > 0 { output.append("… \(omitted) more diff lines") }
        return output.joined(separator: "\n") + "\n"
    }

    struct Edit {
        let mark: Character
        let text: Substring
        let oldLine: Int
        let newLine: Int
    }

    static func lines(_ text: String) -> [Substring] {
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        if lines.last?.isEmpty == true { lines.removeLast() }
        return lines
    }

    /// Removals before insertions at each point, as `diff -u` prints them.
    static func script(_ a: [Substring], _ b: [Substring]) -> [Edit] {
        let difference = b.difference(from: a)
        var removed = Set<Int>(), inserted = Set<Int>()
        for change in difference {
            switch change {
            case let .remove(offset, _, _): removed.insert(offset)
            case let .insert(offset, _, _): inserted.insert(offset)
            }
        }
        var edits: [Edit] = []
        var i = 0, j = 0
        while i < a.count || j < b.count {
            if i < a.count, removed.contains(i) {
                edits.append(Edit(mark: "-", text: a[i], oldLine: i, newLine: j)); i += 1
            } else if j < b.count, inserted.contains(j) {
                edits.append(Edit(mark: "+", text: b[j], oldLine: i, newLine: j)); j += 1
            } else {
                edits.append(Edit(mark: " ", text: a[i], oldLine: i, newLine: j)); i += 1; j += 1
            }
        }
        return edits
    }
}
