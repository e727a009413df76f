/// What `use`, `attach` and `restore` need of a snapshot's content: choosing it, checking
/// its objects, loading it into an empty database and staging its media. `SnapshotLoader`
/// does it over the store and the server; the switch plans are tested with a fake.
protocol SnapshotLoading: Sendable {
    func choose(_ profile: ProfileName, id: String?) throws -> SnapshotChoice
    /// Checks, before anything is built, that every object the snapshot names (and the media
    /// files of `media`, when they will be restored) is in the store intact.
    func checkObjects(_ choice: SnapshotChoice, media: [MediaEntry]?) throws
    /// Loads the snapshot into `database`, which exists and is empty.
    func fill(_ database: String, with choice: SnapshotChoice, label: String) throws
    /// The snapshot's media files; nil when it has no media.
    func mediaEntries(_ choice: SnapshotChoice) throws -> [MediaEntry]?
    /// Builds the media folder in a staging folder beside `target`; returns the staging folder.
    func stageMedia(_ entries: [MediaEntry], beside target: String) throws -> String
}
