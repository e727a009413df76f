import ArgumentParser
import DatasetKit
import Foundation

struct PinCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pin",
        abstract: "Pin another snapshot of the store in profiles/<name>/manifest.json: roll back, or forward again.",
        discussion: """
        SNAPSHOT is a snapshot id, the beginning of one that only one snapshot of the profile has (20260601T09), \
        or a tag. Before the manifest is written, every object the snapshot needs (media files included) must be \
        in the store with the size its record gives; the manifest is then replaced atomically, and only if it is \
        still what it was when the pin began. restore, use and attach then load the pinned snapshot; commit the \
        manifest to share it.
        """
    )

    @Argument(help: "The profile.")
    var profile: String

    @Argument(help: ArgumentHelp("The snapshot to pin: an id, its unique beginning, or a tag.", valueName: "snapshot|tag"))
    var snapshot: String

    @OptionGroup var output: OutputOptions

    func run() throws {
        let context = try AppContext()
        let name = try context.profileName(profile)
        let result = try SnapshotPin(workspace: try context.workspace()).pin(name, to: snapshot)
        if output.json { return try Terminal.printJSON(result) }
        let tag = result.tag.map { ", tag \($0)" } ?? ""
        let message = result.message.isEmpty ? "" : ", \"\(result.message)\""
        guard result.changed else {
            return print("\(result.manifest) already pins snapshot \(result.snapshot) (\(result.createdAt)\(tag)\(message)); nothing was changed.")
        }
        let previous = result.previous.map { ", replacing \($0)" } ?? ""
        print("Pinned snapshot \(result.snapshot) (\(result.createdAt)\(tag)\(message)) of \(result.profile) in \(result.manifest)\(previous); "
            + "\"dpm use \(result.profile)\" or \"dpm restore \(result.profile)\" loads it, and committing the manifest shares it.")
    }
}
