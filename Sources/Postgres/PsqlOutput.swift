import Foundation
import DatasetKit

/// What psql's stderr says, read once here, where psql runs: callers switch on the fields
/// this gives instead of parsing psql's text.
enum PsqlOutput {
    /// Where in `script` (the path psql was given) the failure happened and PostgreSQL's words
    /// after that location, from psql's "psql:/abs/x.sql:7: ERROR:  relation "t" already exists".
    static func problem(in failure: ToolFailure, script path: String) -> ScriptProblem {
        let output = failure.output
        var text = output
        var line: Int?
        if let range = output.range(of: "psql:\(path):") {
            let rest = output[range.upperBound...]
            let digits = rest.prefix { $0.isNumber }
            line = Int(digits)
            text = String(rest.dropFirst(digits.count).drop { $0 == ":" || $0 == " " })
        }
        var causes: Set<ScriptProblem.Cause> = []
        if output.contains("cannot run inside a transaction block") { causes.insert(.needsNoTransaction) }
        if text.contains("already exists") { causes.insert(.alreadyExists) }
        let failed = failure.lastLines.lazy.compactMap { Self.error(in: $0, script: path) }.first
        return ScriptProblem(line: line, text: text, causes: causes, error: failed)
    }

    /// psql's "psql:/x.sql:7: ERROR:  relation "t" does not exist" as line 7 and PostgreSQL's message.
    private static func error(in line: String, script path: String) -> ScriptProblem.Failed? {
        let prefix = "psql:\(path):"
        guard line.hasPrefix(prefix) else { return nil }
        let rest = line.dropFirst(prefix.count)
        let digits = rest.prefix { $0.isNumber }
        guard let number = Int(digits) else { return nil }
        let after = rest.dropFirst(digits.count)
        for severity in [": ERROR:", ": FATAL:", ": error:"] where after.hasPrefix(severity) {
            return ScriptProblem.Failed(line: number, message: after.dropFirst(severity.count).trimmingCharacters(in: .whitespaces))
        }
        return nil
    }

    /// A meta-command that psql's restricted mode (`\restrict`) refused to run.
    struct MetaCommandRefusal: Equatable {
        /// The script line psql names, when it names one.
        let line: Int?
    }

    /// psql's "psql:/x/data.sql:3: error: backslash commands are restricted; only \unrestrict is allowed".
    static func refusedMetaCommand(in failure: ToolFailure) -> MetaCommandRefusal? {
        let output = failure.output
        guard output.contains("backslash commands are restricted") else { return nil }
        let line = output.range(of: #":[0-9]+: error: backslash"#, options: .regularExpression)
            .flatMap { Int(output[$0].dropFirst().prefix { $0.isNumber }) }
        return MetaCommandRefusal(line: line)
    }
}
