import ArgumentParser
import DatasetKit
import Foundation

struct DPM: ParsableCommand {
    static let version = "0.1.0"

    static let configuration = CommandConfiguration(
        commandName: "dpm",
        abstract: "Keep named PostgreSQL datasets (schema, data, media) as manifests in git, backed by a deduplicated store.",
        discussion: """
        dpm works in the project whose dpm.yaml it finds in the current folder or above. \
        DPM_DATABASE_URL and DPM_STORE override the database and store settings.
        """,
        version: version,
        subcommands: [InitCommand.self, ProfileCommand.self, UploadCommand.self, LogCommand.self, PinCommand.self, TagCommand.self, DiffCommand.self, VerifyCommand.self, PruneCommand.self, GCCommand.self, SanitizeCommand.self, RestoreCommand.self, UseCommand.self, UndoCommand.self, StashCommand.self,
                      AttachCommand.self, DetachCommand.self, CacheCommand.self, MigrateCommand.self, MigrationsCommand.self, TransformCommand.self, RehearseCommand.self, SquashCommand.self, StatusCommand.self, CleanupCommand.self, KeyCommand.self]
    )
}
