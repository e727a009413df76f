import ArgumentParser
import DatasetKit
import Foundation

// Parse, run, and turn any failure into one sentence on stderr with a non-zero exit.
// Only the argument parser's own errors (usage, --help, validation) are its to print.
let command: ParsableCommand
do {
    command = try DPM.parseAsRoot()
} catch {
    DPM.exit(withError: error)
}
do {
    var running = command
    try running.run()
} catch let error where error is ValidationError || error is CleanExit || error is ExitCode
    || String(reflecting: type(of: error)).hasPrefix("ArgumentParser.") {
    // Including the parser's internal ones: `dpm help <command>` ends by throwing one.
    DPM.exit(withError: error)
} catch {
    FailureExit.exit(reporting: error)
}
