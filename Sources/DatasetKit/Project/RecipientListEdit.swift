import Foundation
import Yams

/// Adds and removes a key in `encryption.recipients` of dpm.yaml's text, line by line, so that
/// every other line (comments, order, quoting, blank lines) stays as the team wrote it. YAML's
/// parser finds the lines; the result is parsed again and must differ from the original only
/// in that one recipient, or the edit is refused and nothing is written.
struct RecipientListEdit {
    let displayName: String

    /// `text` with `recipient` appended to the list (made when there is none), and
    /// `comment` (whose key it is) as a YAML comment after it.
    func adding(_ recipient: AgeRecipient, comment: String?, to text: String) throws -> String {
        let document = try Document(text, displayName: displayName)
        let suffix = comment.map { "  # " + $0.replacingOccurrences(of: "\n", with: " ") } ?? ""
        var lines = document.lines
        switch document.encryption {
        case nil:
            if lines.last == "" { lines.removeLast() }
            lines += ["encryption:", "  recipients:", "    - \(recipient)\(suffix)", ""]
        case let .some((key, value)):
            let keyLine = key.mark!.line
            let keyIndent = indentation(of: lines[keyLine - 1])
            if isNull(value) {
                lines.insert(contentsOf: ["\(keyIndent)  recipients:", "\(keyIndent)    - \(recipient)\(suffix)"], at: keyLine)
            } else if let mapping = value.mapping, !document.isFlow(value) {
                if let (listKey, list) = mapping.first(where: { $0.key.string == "recipients" }).map({ ($0.key, $0.value) }) {
                    let listLine = listKey.mark!.line
                    let listIndent = indentation(of: lines[listLine - 1])
                    if isNull(list) {
                        lines.insert("\(listIndent)  - \(recipient)\(suffix)", at: listLine)
                    } else if let sequence = list.sequence, !document.isFlow(list), let last = sequence.last {
                        let prefix = try itemPrefix(last, in: lines)
                        lines.insert("\(prefix)\(recipient)\(suffix)", at: last.mark!.line)
                    } else if let sequence = list.sequence, document.isFlow(list) {
                        try rewriteFlowList(sequence, key: listKey, adding: [recipient.text + suffix], lines: &lines)
                    } else {
                        throw cannotEdit()
                    }
                } else {
                    let childIndent = mapping.first.flatMap { $0.key.mark }.map { String(repeating: " ", count: $0.column - 1) } ?? "\(keyIndent)  "
                    lines.insert(contentsOf: ["\(childIndent)recipients:", "\(childIndent)  - \(recipient)\(suffix)"], at: keyLine)
                }
            } else {
                throw cannotEdit()
            }
        }
        let edited = lines.joined(separator: "\n")
        try check(edited, against: document, expected: document.recipients + [recipient])
        return edited
    }

    /// `text` without the line of `recipient`.
    func removing(_ recipient: AgeRecipient, from text: String) throws -> String {
        let document = try Document(text, displayName: displayName)
        guard let (item, sequence, listKey) = document.item(of: recipient), let list = document.list else {
            throw DPMError.internal("\(displayName) has no \(recipient) to remove.")
        }
        var lines = document.lines
        if document.isFlow(list) {
            try rewriteFlowList(sequence, key: listKey, removing: recipient, lines: &lines)
        } else {
            let line = item.mark!.line
            _ = try itemPrefix(item, in: lines)
            // The line must hold this item only (and a comment), so that nothing else goes with it.
            guard sequence.allSatisfy({ $0 == item || $0.mark?.line != line }) else { throw cannotEdit() }
            lines.remove(at: line - 1)
        }
        let edited = lines.joined(separator: "\n")
        try check(edited, against: document, expected: document.recipients.filter { $0 != recipient })
        return edited
    }

    /// The comment after each recipient's line (`- age1…  # alice` → alice).
    func comments(in text: String) -> [AgeRecipient: String] {
        guard let document = try? Document(text, displayName: displayName),
              let list = document.list, let sequence = list.sequence, !document.isFlow(list) else { return [:] }
        var comments: [AgeRecipient: String] = [:]
        for item in sequence {
            guard let text = item.string, let recipient = try? AgeRecipient(text), let line = item.mark?.line else { continue }
            let rest = document.lines[line - 1].unicodeScalars.dropFirst(item.mark!.column - 1)
            guard let hash = String(rest).range(of: " #") ?? String(rest).range(of: "\t#") else { continue }
            let comment = String(String(rest)[hash.upperBound...]).trimmingCharacters(in: .whitespaces)
            if !comment.isEmpty { comments[recipient] = comment }
        }
        return comments
    }

    // MARK: -

    /// dpm.yaml's text, its lines and the nodes of its encryption section.
    private struct Document {
        let lines: [String]
        let root: [(key: Node, value: Node)]
        let encryption: (key: Node, value: Node)?
        let recipients: [AgeRecipient]

        init(_ text: String, displayName: String) throws {
            lines = text.components(separatedBy: "\n")
            let file = try YAMLFile(text: text, path: displayName, displayName: displayName)
            recipients = try file.root[EncryptionConfig.key].map { try EncryptionConfig.parse($0, in: file).recipients } ?? []
            let node = try Yams.compose(yaml: text)
            root = node?.mapping.map { Array($0) } ?? []
            encryption = root.first { $0.key.string == EncryptionConfig.key }
        }

        /// Whether a collection is written in flow style (`[…]`, `{…}`). Read from the text:
        /// Yams reports the style of a collection's end event, not of its start.
        func isFlow(_ node: Node) -> Bool {
            guard let mark = node.mark, mark.line <= lines.count else { return false }
            let character = lines[mark.line - 1].unicodeScalars.dropFirst(mark.column - 1).first
            return character == "[" || character == "{"
        }

        var listPair: (key: Node, value: Node)? {
            encryption?.value.mapping?.first { $0.key.string == "recipients" }.map { ($0.key, $0.value) }
        }

        var list: Node? { listPair?.value }

        func item(of recipient: AgeRecipient) -> (Node, Node.Sequence, Node)? {
            guard let (key, value) = listPair, let sequence = value.sequence else { return nil }
            guard let item = sequence.first(where: { $0.string.flatMap { try? AgeRecipient($0) } == recipient }) else { return nil }
            return (item, sequence, key)
        }
    }

    private func isNull(_ node: Node) -> Bool {
        guard case .scalar(let scalar) = node else { return false }
        return scalar.style == .plain && ["", "~", "null"].contains(scalar.string)
    }

    private func indentation(of line: String) -> String {
        String(line.prefix { $0 == " " })
    }

    /// What comes before a block list item's value on its line, e.g. `    - `.
    private func itemPrefix(_ item: Node, in lines: [String]) throws -> String {
        guard let mark = item.mark else { throw cannotEdit() }
        let prefix = String(String.UnicodeScalarView(lines[mark.line - 1].unicodeScalars.prefix(mark.column - 1)))
        guard prefix.trimmingCharacters(in: .whitespaces) == "-" else { throw cannotEdit() }
        return prefix
    }

    /// Replaces a one-line flow list (`recipients: [age1…, age1…]`) by a block list.
    private func rewriteFlowList(_ sequence: Node.Sequence, key: Node, adding: [String] = [], removing: AgeRecipient? = nil,
                                 lines: inout [String]) throws {
        guard let keyLine = key.mark?.line, sequence.allSatisfy({ $0.mark?.line == keyLine }) else { throw cannotEdit() }
        let line = lines[keyLine - 1]
        guard let open = line.firstIndex(of: "["), let close = line.lastIndex(of: "]"), open < close else { throw cannotEdit() }
        let after = line[line.index(after: close)...].trimmingCharacters(in: .whitespaces)
        guard after.isEmpty || after.hasPrefix("#") else { throw cannotEdit() }
        let indent = indentation(of: line)
        let kept = sequence.compactMap(\.string).filter { text in removing.map { (try? AgeRecipient(text)) != $0 } ?? true }
        let head = String(line[..<open]).replacingOccurrences(of: " +$", with: "", options: .regularExpression)
        lines.replaceSubrange((keyLine - 1)...(keyLine - 1),
                              with: [head + (after.isEmpty ? "" : "  " + after)] + (kept + adding).map { "\(indent)  - \($0)" })
    }

    /// The edited text must parse, list exactly `expected`, and leave every other setting alone.
    private func check(_ edited: String, against document: Document, expected: [AgeRecipient]) throws {
        guard let after = try? Document(edited, displayName: displayName), after.recipients == expected,
              after.root.filter({ $0.key.string != EncryptionConfig.key }).map(\.value)
                == document.root.filter({ $0.key.string != EncryptionConfig.key }).map(\.value)
        else { throw cannotEdit() }
    }

    private func cannotEdit() -> DPMError {
        DPMError.invalidInput("dpm cannot edit encryption.recipients in \(displayName) in the way it is written; write it as a block list (\"encryption:\", \"  recipients:\", then one \"    - age1…\" line each) and run the command again.")
    }
}
