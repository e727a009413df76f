import Foundation

/// The post-restore hooks one command runs: dpm.yaml's `hooks.post_restore`, unless
/// `--no-hooks` turned them off. `restore` runs every hook on the database it filled; `use`
/// and `attach` run the plain ones once, on a template being built (every later copy of it
/// has their work), and the `per_switch` ones on every copy they put in place.
public struct PostRestoreHooks: Sendable {
    public enum Moment: Sendable {
        /// `restore` filled a database: every hook.
        case restored
        /// A template was filled and is not yet a template: the hooks without `per_switch`.
        case templateBuilt
        /// `use` or `attach` put a copy of a template in place: the `per_switch` hooks.
        case copied
    }

    let hooks: [PostRestoreHook]
    let runner: (any HookCommands)?
    let directory: String
    let note: @Sendable (String) -> Void
    /// False with `--no-hooks`, and for commands that never run hooks.
    public let enabled: Bool

    /// No hooks, and no opinion about templates built with or without them.
    public static let none = PostRestoreHooks(hooks: [], runner: nil, directory: "", note: { _ in }, enabled: false)

    public init(hooks: [PostRestoreHook], runner: (any HookCommands)?, directory: String, note: @escaping @Sendable (String) -> Void,
                enabled: Bool) {
        self.hooks = hooks
        self.runner = runner
        self.directory = directory
        self.note = note
        self.enabled = enabled
    }

    /// The project's hooks, run in its folder, with notes on `workspace`'s channel.
    public init(project: Project, runner: any HookCommands, note: @escaping @Sendable (String) -> Void, enabled: Bool) {
        self.init(hooks: project.config.hooks.postRestore, runner: runner, directory: project.root, note: note, enabled: enabled)
    }

    func due(_ moment: Moment) -> [PostRestoreHook] {
        guard enabled else { return [] }
        switch moment {
        case .restored: return hooks
        case .templateBuilt: return hooks.filter { !$0.perSwitch }
        case .copied: return hooks.filter(\.perSwitch)
        }
    }

    /// What a template's label records of the hooks that ran when it was built: a digest of
    /// their commands, nil when none ran. A template whose record differs from the hooks
    /// configured now lacks their work (built with `--no-hooks`, or before dpm.yaml changed).
    var templateRecord: String? {
        let commands = due(.templateBuilt).map(\.command)
        guard !commands.isEmpty else { return nil }
        return String(SHA256Hex.of(Data(commands.joined(separator: "\n").utf8)).prefix(16))
    }

    /// Whether a template built with `label` must be rebuilt to have the configured hooks' work
    /// (a template with the work of hooks dpm.yaml no longer has is kept: that work is done).
    func outdates(_ label: DatabaseLabel) -> Bool {
        guard let record = templateRecord else { return false }
        return label.hooks != record
    }

    /// Runs the hooks due at `moment` on `database`, in order, with DPM_PROFILE and
    /// DPM_SNAPSHOT; the first that fails stops the rest and is reported in one sentence.
    public func run(_ moment: Moment, on database: String, profile: String, snapshot: String?) throws {
        let due = due(moment)
        guard !due.isEmpty, let runner else { return }
        let what = snapshot.map { "\(profile) \($0)" } ?? profile
        for (index, hook) in due.enumerated() {
            note("Running the post_restore hook \"\(hook.command)\" on \(database)…")
            do {
                try runner.runHook(hook.command, for: database, in: directory,
                                   environment: ["DPM_PROFILE": profile, "DPM_SNAPSHOT": snapshot ?? ""])
            } catch let error as DPMError {
                guard let failure = error.tool else { throw error }
                let status = switch failure.status {
                case .exit(let code): "exit code \(code)"
                case .signal(let number): "signal \(number)"
                }
                let lines = failure.lastLines.isEmpty ? "it wrote nothing" : "its last lines: \(failure.lastLines.joined(separator: " / "))"
                let skipped = due.count - index - 1
                let rest = skipped == 0 ? "" : " (the \(skipped == 1 ? "hook" : "\(skipped) hooks") after it did not run)"
                let outcome = switch moment {
                case .templateBuilt:
                    "the template was not kept, so nothing was switched or attached\(rest); fix the hook, or add --no-hooks to go without it"
                case .restored, .copied:
                    "\(database) stays, filled with \(what), without the hook's work\(rest)"
                }
                let place = moment == .templateBuilt ? "while building the template of \(what)" : "on \(database)"
                throw DPMError.toolFailed(failure, "The post_restore hook \"\(hook.command)\" failed with \(status) \(place) (\(lines)); \(outcome).")
            }
        }
    }
}
