import Foundation

/// The SQL files a profile's `sanitize.scripts` names (relative to the project root), each
/// checked and hashed before anything is read from the source, and run in order with psql
/// (ON_ERROR_STOP, meta-commands off) on the scratch copy the upload then reads.
public struct SanitizeScripts: Sendable {
    public struct Script: Sendable, Equatable {
        /// As profile.yaml gives it.
        public let path: String
        let absolutePath: String
        /// SHA-256 of the file's bytes.
        public let sha256: String
    }

    public let scripts: [Script]

    public var isEmpty: Bool { scripts.isEmpty }

    /// What the snapshot record's `sanitize.scripts` holds.
    public var records: [SanitizeScriptRecord] { scripts.map { SanitizeScriptRecord(path: $0.path, sha256: $0.sha256) } }

    /// The scripts of `profile`'s `sanitize:` section; a missing or unreadable one is refused.
    public init(of profile: ProfileName, spec: ProfileSpec, project: Project) throws {
        scripts = try (spec.sanitize?.scripts ?? []).map { path in
            let absolute = project.path(path)
            var isFolder: ObjCBool = false
            guard FileManager.default.fileExists(atPath: absolute, isDirectory: &isFolder), !isFolder.boolValue else {
                throw DPMError.invalidInput("profiles/\(profile)/profile.yaml names the sanitize script \(path), which \(isFolder.boolValue ? "is a folder, not a file" : "does not exist"); nothing was read or uploaded.")
            }
            guard let text = FileManager.default.contents(atPath: absolute) else {
                throw DPMError.permissionDenied("Cannot read the sanitize script \(path) named in profiles/\(profile)/profile.yaml.")
            }
            return Script(path: path, absolutePath: absolute, sha256: SHA256Hex.of(text))
        }
    }

    /// The records of `profile`'s scripts, as an upload that runs them records them.
    public static func records(of profile: ProfileName, project: Project) throws -> [SanitizeScriptRecord] {
        try SanitizeScripts(of: profile, spec: try project.profile(profile), project: project).records
    }

    /// Runs each script in `database`; the first failure names its file, line and PostgreSQL's message.
    func run(in database: String, on runner: SQLRunner, progress: ProgressMeter) throws {
        for script in scripts {
            progress.begin("running the sanitize script \(script.path)")
            defer { progress.end() }
            do {
                try runner.runSQLFile(script.absolutePath, in: database)
            } catch let error as DPMError {
                guard let problem = error.tool?.script else { throw error }
                throw error.rephrased("The sanitize script \(script.path) failed \(problem.summary); nothing was uploaded.")
            }
        }
    }
}
