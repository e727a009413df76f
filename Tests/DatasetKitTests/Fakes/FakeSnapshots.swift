@testable import DatasetKit
import Foundation

/// Snapshots for the switch plans without a store: filling a database writes the snapshot's
/// name into it ("ug 20261101T000000Z-aaaaaa"), and its media is one file named after it.
struct FakeSnapshots: SnapshotLoading {
    let catalog: InMemoryCatalog
    /// Each profile's pinned snapshot id.
    let pinned: [String: String]
    /// Fills fail (as a broken dump would) while set.
    let failFill: Locked<Bool>

    static func content(profile: String, snapshot: String) -> String { "\(profile) \(snapshot)" }

    /// The one media file of a snapshot's content.
    static func mediaFile(of content: String) -> String { content.replacingOccurrences(of: " ", with: "-") + ".txt" }

    func choose(_ profile: ProfileName, id: String?) throws -> SnapshotChoice {
        guard let key = id ?? pinned[profile.value] else { throw DPMError.notFound("The profile \(profile) has no snapshot yet.") }
        let media = MediaSummary(index: Artifact(path: "media.json", sha256: String(repeating: "0", count: 64), size: 2, storedSize: 2),
                                 files: 1, bytes: 1, storedBytes: 1)
        let record = Snapshot(format: Snapshot.currentFormat, id: key, profile: profile.value, kind: .shared, createdAt: "2026-11-01T00:00:00Z",
                              message: "", tool: "dpm test", compression: "identity",
                              source: SnapshotSource(database: "source", serverVersion: "17.0", serverVersionNumber: 170000),
                              filters: TableFilters(), migrations: [],
                              schema: Artifact(path: "schema.sql", sha256: String(repeating: "1", count: 64), size: 1, storedSize: 1),
                              data: [], media: media, sizes: SnapshotSizes(total: 1, stored: 1, data: 0, media: 1))
        return SnapshotChoice(profile: profile, kind: .shared, key: key, snapshot: record, properties: nil)
    }

    func checkObjects(_ choice: SnapshotChoice, media: [MediaEntry]?) throws {}

    func fill(_ database: String, with choice: SnapshotChoice, label: String) throws {
        if failFill.current { throw DPMError.corrupt("The dump of \(choice.key) is corrupt.") }
        guard catalog[database] != nil else { throw DPMError.notFound("database \"\(database)\" does not exist") }
        catalog.update(database) { $0.content = Self.content(profile: choice.profile.value, snapshot: choice.key) }
    }

    func mediaEntries(_ choice: SnapshotChoice) throws -> [MediaEntry]? {
        let file = Self.mediaFile(of: Self.content(profile: choice.profile.value, snapshot: choice.key))
        return [MediaEntry(path: file, size: 1, mode: 0o644, sha256: String(repeating: "2", count: 64))]
    }

    func stageMedia(_ entries: [MediaEntry], beside target: String) throws -> String {
        let staging = MediaFolder.stagingFolder(beside: target)
        try createFolder(staging, purpose: "the media staging folder")
        for entry in entries { try Data("x".utf8).write(to: URL(fileURLWithPath: "\(staging)/\(entry.path)")) }
        return staging
    }
}
