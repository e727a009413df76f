import Foundation
import Yams

/// Reads a small YAML mapping and reports problems as "file line N: ..." sentences.
struct YAMLFile {
    let path: String
    let displayName: String
    let root: [String: Node]
    private let lines: [String: Int]

    init(path: String, displayName: String) throws {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw DPMError.system("Cannot read \(displayName): \(SystemErrorText.reason(error)).")
        }
        try self.init(text: text, path: path, displayName: displayName)
    }

    /// The mapping in `text`, as if read from `path`.
    init(text: String, path: String, displayName: String) throws {
        self.path = path
        self.displayName = displayName
        let node: Node?
        do {
            node = try Yams.compose(yaml: text)
        } catch let error as YamlError {
            throw DPMError.invalidInput("\(displayName) is not valid YAML: \(Self.describe(error)).")
        } catch {
            throw DPMError.invalidInput("\(displayName) is not valid YAML: \(error).")
        }
        guard let node else { root = [:]; lines = [:]; return }
        guard let mapping = node.mapping else {
            throw DPMError.invalidInput("\(displayName) line \(node.mark?.line ?? 1): expected a mapping of settings (key: value).")
        }
        var root: [String: Node] = [:]
        var lines: [String: Int] = [:]
        for (key, value) in mapping {
            guard let name = key.string else { continue }
            root[name] = value
            lines[name] = key.mark?.line ?? 1
        }
        self.root = root
        self.lines = lines
    }

    func line(of key: String) -> Int { lines[key] ?? 1 }

    func error(_ key: String, _ problem: String) -> DPMError {
        DPMError.invalidInput("\(displayName) line \(line(of: key)): \(problem).")
    }

    func rejectUnknownKeys(allowed: Set<String>) throws {
        for key in root.keys.sorted() where !allowed.contains(key) {
            throw error(key, "unknown setting \"\(key)\" (known: \(allowed.sorted().joined(separator: ", ")))")
        }
    }

    func string(_ key: String) throws -> String? {
        guard let node = root[key] else { return nil }
        if case .scalar(let scalar) = node, scalar.string.isEmpty || scalar.string == "~" || scalar.string == "null" {
            return nil
        }
        guard let value = node.string else { throw error(key, "\"\(key)\" must be a text value") }
        return value
    }

    static func describe(_ error: YamlError) -> String {
        switch error {
        case let .scanner(context, problem, mark, _), let .parser(context, problem, mark, _):
            let what = [context?.text, problem].compactMap { $0 }.filter { !$0.isEmpty }.joined(separator: " ")
            return "line \(mark.line), column \(mark.column): \(what)"
        case let .composer(context, problem, mark, _):
            return "line \(mark.line), column \(mark.column): \([context?.text, problem].compactMap { $0 }.joined(separator: " "))"
        default:
            return String(describing: error)
        }
    }
}

extension Node {
    /// The list of strings at this node, or nil when it is not a sequence of scalars.
    var stringList: [String]? {
        if let single = string, !single.isEmpty { return [single] }
        guard let sequence else { return nil }
        var values: [String] = []
        for item in sequence {
            guard let value = item.string else { return nil }
            values.append(value)
        }
        return values
    }
}
