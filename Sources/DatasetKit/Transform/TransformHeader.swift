import Foundation

/// What the `-- dpm:batch` line of a transform file says: which table's key to walk, in
/// batches of how many keys, with what pause between them.
public struct TransformHeader: Equatable, Sendable {
    /// As written: `schema.table` or `table` (found on the database's search path).
    public var table: String
    public var key: String
    public var size: Int
    /// Seconds to sleep between batches.
    public var pause: Double

    public static let marker = "-- dpm:batch"
    public static let defaultSize = 1000
    static let settings = ["table", "key", "size", "pause"]

    public init(table: String, key: String, size: Int = defaultSize, pause: Double = 0) {
        self.table = table
        self.key = key
        self.size = size
        self.pause = pause
    }

    /// Reads the one `-- dpm:batch key=value …` line of `text` (`file` names it in errors).
    public static func parse(_ text: String, file: String) throws -> TransformHeader {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
            .map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { $0.hasPrefix(marker) }
        guard !lines.isEmpty else {
            throw DPMError.invalidInput("\(file) has no \"\(marker) table=<table> key=<column>\" line; a transform file starts with one.")
        }
        guard lines.count == 1 else { throw DPMError.invalidInput("\(file) has \(lines.count) \"\(marker)\" lines; a transform file has one.") }
        let line = lines[0]
        let rest = line.dropFirst(marker.count)
        guard rest.isEmpty || rest.first == " " || rest.first == "\t" else {
            throw DPMError.invalidInput("\(file): \"\(line)\" is not a \"\(marker) table=<table> key=<column>\" line.")
        }
        var values: [String: String] = [:]
        for word in rest.split(whereSeparator: { $0 == " " || $0 == "\t" }) {
            let parts = word.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard parts.count == 2, !parts[1].isEmpty else {
                throw DPMError.invalidInput("\(file): \"\(word)\" in the \(marker) line is not setting=value (settings: \(settings.joined(separator: ", "))).")
            }
            let name = String(parts[0]), value = String(parts[1])
            guard settings.contains(name) else {
                throw DPMError.invalidInput("\(file): the \(marker) line has the unknown setting \(name)= (settings: \(settings.joined(separator: ", "))).")
            }
            guard values[name] == nil else { throw DPMError.invalidInput("\(file): the \(marker) line sets \(name)= twice.") }
            values[name] = value
        }
        guard let table = values["table"], let key = values["key"] else {
            let missing = ["table", "key"].filter { values[$0] == nil }.map { "\($0)=" }.joined(separator: " and ")
            throw DPMError.invalidInput("\(file): the \(marker) line lacks \(missing); it names the table and its key column, e.g. \"\(marker) table=public.users key=id\".")
        }
        var header = TransformHeader(table: table, key: key)
        if let size = values["size"] {
            header.size = try parseSize(size, what: "\(file): size=\(size) in the \(marker) line")
        }
        if let pause = values["pause"] {
            header.pause = try parsePause(pause, what: "\(file): pause=\(pause) in the \(marker) line")
        }
        return header
    }

    /// A batch size: a whole number of keys, at least 1.
    public static func parseSize(_ text: String, what: String) throws -> Int {
        guard text.allSatisfy({ $0.isASCII && $0.isNumber }), let size = Int(text), size >= 1 else {
            throw DPMError.invalidInput("\(what) is not a batch size; give a whole number of keys, at least 1.")
        }
        return size
    }

    public static func parsePause(_ text: String, what: String) throws -> Double {
        guard let seconds = PauseDuration.seconds(text) else {
            throw DPMError.invalidInput("\(what) is not a duration; give a number with ms, s or m (100ms, 2s, 1m), or 0.")
        }
        return seconds
    }
}
