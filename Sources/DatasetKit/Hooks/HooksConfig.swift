import Foundation
import Yams

/// One command of dpm.yaml's `hooks.post_restore`.
public struct PostRestoreHook: Sendable, Equatable {
    /// A command line, run with `sh -c` in the project folder.
    public var command: String
    /// Whether it runs after every switch (`use`) and attach on the copy, instead of once when
    /// the template is built.
    public var perSwitch: Bool

    public init(command: String, perSwitch: Bool = false) {
        self.command = command
        self.perSwitch = perSwitch
    }
}

/// `hooks:` of dpm.yaml: commands dpm runs after it fills a database.
public struct HooksConfig: Sendable, Equatable {
    public var postRestore: [PostRestoreHook] = []

    public static let key = "hooks"
    static let settings = ["post_restore"]
    static let entrySettings = ["run", "per_switch"]

    public init(postRestore: [PostRestoreHook] = []) {
        self.postRestore = postRestore
    }

    /// A mapping of `post_restore`: a list whose entries are a command, or a mapping of `run`
    /// (the command) and `per_switch` (true or false); a single command is a list of one.
    static func parse(_ node: Node, in file: YAMLFile) throws -> HooksConfig {
        func refuse(_ line: Int?, _ problem: String) -> DPMError {
            DPMError.invalidInput("\(file.displayName) line \(line ?? file.line(of: key)): \(problem).")
        }
        guard let mapping = node.mapping else {
            throw refuse(node.mark?.line, "\"hooks\" must be a mapping with post_restore, a list of commands")
        }
        var config = HooksConfig()
        for (name, value) in mapping {
            guard name.string == "post_restore" else {
                throw refuse(name.mark?.line, "unknown setting \"hooks.\(name.string ?? "?")\" (known: \(settings.joined(separator: ", ")))")
            }
            let entries: [Node]
            if let sequence = value.sequence {
                entries = Array(sequence)
            } else if value.scalar != nil || value.mapping != nil {
                entries = [value]
            } else {
                throw refuse(value.mark?.line, "hooks.post_restore must be a list of commands")
            }
            config.postRestore = try entries.map { try entry($0, refuse) }
        }
        return config
    }

    private static func entry(_ node: Node, _ refuse: (Int?, String) -> DPMError) throws -> PostRestoreHook {
        let line = node.mark?.line
        if node.scalar != nil {
            guard let command = node.string, !command.trimmingCharacters(in: .whitespaces).isEmpty else {
                throw refuse(line, "a hooks.post_restore entry must be a command line, e.g. \"bin/rails search:reindex\"")
            }
            return PostRestoreHook(command: command)
        }
        guard let mapping = node.mapping else {
            throw refuse(line, "a hooks.post_restore entry must be a command, or a mapping with run and per_switch")
        }
        var command: String?
        var perSwitch = false
        for (name, value) in mapping {
            switch name.string {
            case "run":
                guard let text = value.string, !text.trimmingCharacters(in: .whitespaces).isEmpty else {
                    throw refuse(value.mark?.line ?? line, "hooks.post_restore run must be a command line, e.g. \"bin/rails search:reindex\"")
                }
                command = text
            case "per_switch":
                guard let flag = value.bool else { throw refuse(value.mark?.line ?? line, "hooks.post_restore per_switch must be true or false") }
                perSwitch = flag
            default:
                throw refuse(name.mark?.line ?? line, "unknown setting \"hooks.post_restore.\(name.string ?? "?")\" (known: \(entrySettings.joined(separator: ", ")))")
            }
        }
        guard let command else { throw refuse(line, "a hooks.post_restore entry written as a mapping needs run, the command line") }
        return PostRestoreHook(command: command, perSwitch: perSwitch)
    }
}
