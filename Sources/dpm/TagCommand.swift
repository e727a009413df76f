import ArgumentParser
import DatasetKit
import Foundation

struct TagCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tag",
        abstract: "Name a snapshot of a profile (tags/<profile>/<name>.json in the store).",
        discussion: """
        A tag is created only if the profile has no tag of that name: of two people tagging at once, one gets it \
        and the other is refused. --force moves an existing tag to this snapshot. Tag names are 1 to 100 letters, \
        digits, ".", "_" and "-", starting with a letter, so that none looks like a snapshot id. pin, restore, use \
        and attach take a tag where they take a snapshot id.
        """
    )

    @Argument(help: "The profile.")
    var profile: String

    @Argument(help: ArgumentHelp("The snapshot to name: an id, its unique beginning, or a tag.", valueName: "snapshot|tag"))
    var snapshot: String

    @Argument(help: ArgumentHelp("The tag's name.", valueName: "name"))
    var name: String

    @Flag(help: "Move the tag if it names another snapshot.")
    var force = false

    @OptionGroup var output: OutputOptions

    func run() throws {
        let context = try AppContext()
        let profileName = try context.profileName(profile)
        let tag = try TagName(name)
        let result = try SnapshotTagging(workspace: try context.workspace()).tag(profileName, snapshot, as: tag, force: force)
        if output.json { return try Terminal.printJSON(result) }
        if !result.changed { return print("The tag \(result.tag) of \(result.profile) already names snapshot \(result.snapshot); nothing was changed.") }
        if let previous = result.previous {
            return print("Moved the tag \(result.tag) of \(result.profile) from snapshot \(previous) to \(result.snapshot).")
        }
        print("Tagged snapshot \(result.snapshot) of \(result.profile) as \(result.tag).")
    }
}
