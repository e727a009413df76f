extension LineDiff {
    /// How many lines the unified diff of the two texts adds and removes (a changed line is one
    /// of each), counted over the whole texts, however many of them `unified` prints.
    public static func changes(from old: String, to new: String) -> (added: Int, removed: Int) {
        let edits = script(lines(old), lines(new))
        return (edits.count { $0.mark == "+" }, edits.count { $0.mark == "-" })
    }
}
