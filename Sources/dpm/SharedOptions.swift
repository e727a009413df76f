import ArgumentParser
import DatasetKit
import Foundation

// Options that several commands share, as option groups: one declaration, one help text.

/// Options shared by commands that print something a script may read.
struct OutputOptions: ParsableArguments {
    @Flag(help: "Print the result as JSON on stdout.")
    var json = false
}

/// Options shared by commands that move data.
struct JobOptions: ParsableArguments {
    @Option(name: [.customShort("j"), .long], help: ArgumentHelp("Parallel jobs for pg_dump/pg_restore and transfers (default: the number of cores).", valueName: "n"))
    var jobs: Int?

    var count: Int { jobs ?? ProcessInfo.processInfo.activeProcessorCount }

    func validate() throws {
        if let jobs, !(1...64).contains(jobs) { throw ValidationError("--jobs must be between 1 and 64.") }
    }
}

/// `--snapshot <id>`: a snapshot instead of the pinned one; the help names what the command
/// does with it ("Restore this snapshot …").
struct SnapshotOption<Action: SnapshotAction>: ParsableArguments {
    @Option(help: ArgumentHelp("\(Action.verb) this snapshot (an id, its unique beginning, or a tag) instead of the pinned one.", valueName: "id|tag"))
    var snapshot: String?
}

protocol SnapshotAction { static var verb: String { get } }
enum UseAction: SnapshotAction { static let verb = "Use" }
enum RestoreAction: SnapshotAction { static let verb = "Restore" }
enum AttachAction: SnapshotAction { static let verb = "Attach" }

/// `--force` of the commands that switch the working database.
struct EndSessionsOption: ParsableArguments {
    @Flag(help: "End other sessions connected to the working database.")
    var force = false
}

/// `-y/--yes` of the commands that ask before they delete.
struct ConfirmationOption: ParsableArguments {
    @Flag(name: [.short, .long], help: "Do not ask for confirmation.")
    var yes = false

    /// Goes on with --yes or a "yes" at the terminal; without a terminal to ask on it throws
    /// `refusal`, and an answer other than yes throws `declined`.
    func require(_ question: String, refusal: String, declined: String) throws {
        if yes { return }
        switch Terminal.confirm(question) {
        case .none: throw DPMError.invalidInput(refusal)
        case .some(false): throw DPMError.interrupted(declined)
        case .some(true): return
        }
    }
}
