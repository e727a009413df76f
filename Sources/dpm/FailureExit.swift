import DatasetKit
import Foundation

/// The one place where a failure reaches the user: any error becomes what `DPMError(reporting:)`
/// makes of it, shown as its details and one sentence on stderr, and the exit code of its kind.
enum FailureExit {
    static func exit(reporting error: Error) -> Never {
        let failure = DPMError(reporting: error)
        if let details = failure.details { Terminal.writeLine(details) }
        Terminal.error(failure.message)
        Foundation.exit(failure.exitCode)
    }
}
