import ArgumentParser
import DatasetKit
import Foundation
import Postgres

struct InitCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "init",
        abstract: "Set up dpm in the current folder (the top of your application repository).",
        discussion: "Writes dpm.yaml, profiles/clean-db/, db/migration-base/clean-db/ and a .gitignore entry for .dpm/."
    )

    @Option(help: ArgumentHelp("The working database: a libpq connection string or URI, without a password (default: libpq's PG* defaults).", valueName: "conninfo"))
    var database: String?

    @Option(help: ArgumentHelp("Where snapshots are stored: file:///abs/path, file:relative/path or s3://bucket/prefix.", valueName: "url"))
    var store: String = ProjectConfig.defaultStore

    @Option(help: ArgumentHelp("The application's media folder, relative to the project (optional).", valueName: "dir"))
    var media: String?

    func run() throws {
        if let database, ConnectionString.containsSecret(database, reader: LibpqConnectionStrings()) {
            throw DPMError.invalidInput("--database contains a password; dpm.yaml is committed, so keep the password in ~/.pgpass, PGPASSFILE or PGPASSWORD.")
        }
        let config = ProjectConfig(database: database, store: store, media: media)
        let root = FileManager.default.currentDirectoryPath
        let written = try ProjectSetup.initialize(at: root, config: config)
        print("Initialized dpm in \(root):")
        for file in written { print("  \(file)") }
        print("Next: dpm profile create <name> --kind shared, then dpm upload <name>.")
    }
}
