import Foundation

/// A profile's manifest: the snapshot pinned in git, validated whenever it is read.
extension Project {
    public func manifestPath(_ name: ProfileName) -> String {
        "\(profileDirectory(name))/manifest.json"
    }

    /// The pinned snapshot, or nil when the profile has never been uploaded.
    public func manifest(_ name: ProfileName) throws -> Snapshot? {
        let file = manifestPath(name)
        guard let data = FileManager.default.contents(atPath: file) else { return nil }
        let what = "The manifest profiles/\(name)/manifest.json"
        let snapshot = try CanonicalJSON.decode(Snapshot.self, from: data, what: what)
        // A broken profile.yaml is reported by whoever reads it; the manifest is checked without its kind then.
        try snapshot.validate(what: what, profile: name, kind: (try? profile(name))?.kind)
        return snapshot
    }

    public func writeManifest(_ snapshot: Snapshot, for name: ProfileName) throws {
        try AtomicFile.write(try CanonicalJSON.encode(snapshot), to: manifestPath(name))
    }
}
