import ArgumentParser
import DatasetKit
import Foundation

// Parse, run, and turn any failure into one sentence on stderr with a non-zero exit.
do {
    var command = try DPM.parseAsRoot()
    try command.run()
} catch let error as DPMError {
    if let details = error.details { FileHandle.standardError.write(Data(details.utf8)) }
    Terminal.error(error.message)
    exit(1)
} catch let error as DatabaseInUse {
    Terminal.error(error.message)
    exit(1)
} catch let error as StoreError {
    Terminal.error(error.description)
    exit(1)
} catch {
    DPM.exit(withError: error)
}
