import Foundation

extension Snapshot {
    /// The codecs dpm writes store objects with.
    public static let storedCompressions = ["zstd"]
    /// What a clean profile's manifest records: its files live in git, uncompressed.
    static let gitCompression = "none"

    /// Checks what decoding cannot: that the record is one dpm writes (known format and
    /// codec, the profile's name and kind, each file once) and that the hashes and paths
    /// later steps rely on are well formed. `profile` and `kind`, when given, are what the
    /// record must say.
    /// `remedy` ends the sentence; by default it is what helps with a manifest.
    public func validate(what: String, profile expectedProfile: ProfileName? = nil, kind expectedKind: ProfileKind? = nil,
                         remedy: String? = nil) throws {
        func refuse(_ reason: String) -> DPMError {
            let profileName = expectedProfile?.value ?? profile
            let remedy = remedy ?? "check it out from git as dpm wrote it, or run \"dpm upload \(profileName)\" to pin a new snapshot"
            return DPMError.corrupt("\(what) is not a snapshot dpm wrote: \(reason); \(remedy).")
        }
        guard Snapshot.readableFormats.contains(format) else {
            let formats = Snapshot.readableFormats
            throw refuse("its format \(format) is unknown (this dpm reads formats \(formats.lowerBound) to \(formats.upperBound))")
        }
        guard SnapshotID.isValid(id) else { throw DPMError.corrupt("\(what) is malformed: \"\(id)\" is not a snapshot id.") }
        if let expectedProfile, profile != expectedProfile.value {
            throw refuse("it names the profile \"\(profile)\", not \(expectedProfile)")
        }
        if let expectedKind, kind != expectedKind {
            throw refuse("its kind is \(kind.rawValue), but profile.yaml says \(expectedKind.rawValue)")
        }
        let inGit = self.inGit == true
        guard inGit == (kind == .clean) else {
            throw refuse(inGit ? "it says its files live in git, which only a clean profile's do" : "a clean profile's files live in git, but it names store objects")
        }
        let compressions = inGit ? [Snapshot.gitCompression] : Snapshot.storedCompressions
        guard compressions.contains(compression) else { throw refuse("its compression \"\(compression)\" is unknown") }
        if let objectIDs {
            guard objectIDs == ObjectSealing.idKind else { throw refuse("its object ids are \"\(objectIDs)\", which this dpm does not know") }
            guard !inGit else { throw refuse("a clean profile's files live in git, but it names keyed object ids") }
        }
        for artifact in [schema] + data + (media.map { [$0.index] } ?? []) {
            guard SHA256Hex.isValid(artifact.sha256) else {
                throw DPMError.corrupt("\(what) is malformed: \"\(artifact.sha256)\" is not \(objectIDs == nil ? "a SHA-256 hash" : "an object id").")
            }
            guard artifact.size >= 0, artifact.storedSize >= 0, (artifact.rows ?? 0) >= 0 else {
                throw refuse("\(artifact.path) has a negative size or row count")
            }
            if let chunks = artifact.chunks {
                guard format >= 2, !inGit, data.contains(artifact) else { throw refuse("\(artifact.path) is chunked, which only the data of a format 2 record can be") }
                guard chunks.count > 0, chunks.listSize > 0, chunks.listStoredSize > 0 else { throw refuse("\(artifact.path) has an empty chunk list") }
            }
        }
        for artifact in data where !DumpFileName.isValid(artifact.path) {
            throw DPMError.corrupt("\(what) is malformed: \"\(artifact.path)\" is not a dump file name.")
        }
        guard schema.path == "schema.sql" else { throw refuse("its schema is \"\(schema.path)\", not schema.sql") }
        if let media, media.index.path != "media-index.json" || media.files < 0 {
            throw refuse("its media index is \"\(media.index.path)\", not media-index.json")
        }
        var seen = Set<String>()
        for artifact in data where !seen.insert(artifact.path).inserted {
            throw refuse("it lists \(artifact.path) more than once")
        }
        if inGit {
            guard data.map(\.path) == ["data.sql"], media == nil else { throw refuse("a clean profile's manifest names only schema.sql and data.sql") }
        } else if !seen.contains("toc.dat") {
            throw refuse("its dump has no table of contents (toc.dat)")
        }
    }
}
