/// `text`: lowercase words from the built-in list, line by line, each line exactly as many
/// characters as the original's (code points, as PostgreSQL counts a varchar's length; bytes
/// when the value is not UTF-8), so the value fits every length limit the original fit and
/// keeps its line breaks.
enum KeyedText {
    static func words(like value: [UInt8], _ digester: KeyedDigester) -> [UInt8] {
        var stream = digester.seededStream(of: value)
        let isUTF8 = value.isValidUTF8
        var output: [UInt8] = []
        output.reserveCapacity(value.count)
        for (index, line) in value.split(separator: CopyText.newline, omittingEmptySubsequences: false).enumerated() {
            if index > 0 { output.append(CopyText.newline) }
            let endsWithReturn = line.last == 0x0D
            let content = endsWithReturn ? line.dropLast() : line
            // In valid UTF-8 each code point has exactly one byte that is not a continuation byte.
            let length = isUTF8 ? content.reduce(0) { $0 + ($1 & 0xC0 == 0x80 ? 0 : 1) } : content.count
            appendWords(length: length, to: &output, &stream)
            if endsWithReturn { output.append(0x0D) }
        }
        return output
    }

    private static func appendWords(length: Int, to output: inout [UInt8], _ stream: inout KeyedByteStream) {
        var remaining = length
        var first = true
        while remaining > 0 {
            if !first {
                if remaining == 1 {
                    output.append(UInt8(ascii: "s"))
                    return
                }
                output.append(UInt8(ascii: " "))
                remaining -= 1
            }
            let word = WordList.bytes[stream.number(below: WordList.bytes.count)]
            output.append(contentsOf: word.prefix(remaining))
            remaining -= min(word.count, remaining)
            first = false
        }
    }
}
