import Foundation

/// An application repository that dpm manages: found by walking up to `dpm.yaml`.
public struct Project: Sendable {
    public let root: String
    public let config: ProjectConfig

    public init(root: String, config: ProjectConfig) {
        self.root = root
        self.config = config
    }

    /// Walks up from `directory` to the nearest folder with `dpm.yaml`.
    public static func locate(from directory: String, overrides: ProjectOverrides,
                              connectionStrings: ConnectionStringReader) throws -> Project {
        var current = URL(fileURLWithPath: directory).standardizedFileURL.path
        for _ in 0..<256 {
            let candidate = FilePath.join(current, ProjectConfig.fileName)
            if FileManager.default.fileExists(atPath: candidate) {
                return Project(root: current, config: try ProjectConfig.load(path: candidate, overrides: overrides,
                                                                                   connectionStrings: connectionStrings))
            }
            let parent = FilePath.parent(current)
            if parent == current { break }
            current = parent
        }
        throw DPMError.notFound("No dpm.yaml found in \(directory) or any folder above it; run \"dpm init\" at the top of your application repository.")
    }

    public func path(_ relative: String) -> String {
        FilePath.isAbsolute(relative) ? relative : FilePath.join(root, relative)
    }

    /// `path` relative to the project root when it lies inside it, for messages.
    public func relative(_ path: String) -> String {
        path.hasPrefix(root + "/") ? String(path.dropFirst(root.count + 1)) : path
    }

    public var profilesDirectory: String { path("profiles") }
    public var stateDirectory: String { path(".dpm") }

    /// Makes `.dpm` owner-only, creating it when it can: it holds stashed databases' media,
    /// caches of snapshots' media and, by default, the store. A read-only project has none
    /// yet, and the command that needs one says so.
    public func secureStateDirectory() {
        try? PrivateFiles.makeFolder(stateDirectory, purpose: "dpm's local state folder")
    }
    public var mediaDirectory: String? { config.media.map { path($0) } }

    public func profileDirectory(_ name: ProfileName) -> String {
        FilePath.join(profilesDirectory, name.value)
    }

    public func cleanBaseDirectory(_ name: ProfileName) -> String {
        path("db/migration-base/\(name.value)")
    }

    /// Names of the folders under profiles/ that hold a profile.yaml.
    public func profileNames() -> [String] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: profilesDirectory)) ?? []
        return entries.filter {
            FileManager.default.fileExists(atPath: "\(profilesDirectory)/\($0)/profile.yaml")
        }.sorted()
    }

    /// The profile's settings; an unknown name lists the known ones.
    public func profile(_ name: ProfileName) throws -> ProfileSpec {
        let file = "\(profileDirectory(name))/profile.yaml"
        guard FileManager.default.fileExists(atPath: file) else {
            let known = profileNames()
            let list = known.isEmpty ? "there are none yet; create one with \"dpm profile create\"" : "known profiles: \(known.joined(separator: ", "))"
            throw DPMError.notFound("There is no profile \"\(name)\" (\(list)).")
        }
        return try ProfileSpec.load(path: file, displayName: "profiles/\(name)/profile.yaml")
    }
}
