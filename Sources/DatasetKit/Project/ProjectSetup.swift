import Foundation

/// `dpm init` and profile creation/deletion: the files people commit.
public enum ProjectSetup {
    public static let cleanProfile = "clean-db"

    /// Writes dpm.yaml, profiles/clean-db/, db/migration-base/clean-db/ and the .gitignore entry.
    /// Returns the files written. Refuses a folder that already has a dpm.yaml.
    public static func initialize(at root: String, config: ProjectConfig) throws -> [String] {
        let configPath = "\(root)/\(ProjectConfig.fileName)"
        guard !FileManager.default.fileExists(atPath: configPath) else {
            throw DPMError.conflict("\(root) already has a dpm.yaml; edit it instead of running \"dpm init\" again.")
        }
        var written: [String] = []
        let project = Project(root: root, config: config)
        let clean = try ProfileName(cleanProfile)
        let base = project.cleanBaseDirectory(clean)
        try createFolder(base)
        for (file, header) in [("schema.sql", "-- Base schema of clean-db: \"dpm upload clean-db\" writes it from a database.\n"),
                               ("data.sql", "-- Seed data of clean-db, loaded after schema.sql.\n")] {
            let path = "\(base)/\(file)"
            if !FileManager.default.fileExists(atPath: path) {
                try AtomicFile.write(Data(header.utf8), to: path)
                written.append("db/migration-base/clean-db/\(file)")
            }
        }
        if !FileManager.default.fileExists(atPath: "\(project.profileDirectory(clean))/profile.yaml") {
            try createProfile(clean, spec: ProfileSpec(kind: .clean, description: "base schema and seed data"), in: project)
            written.append("profiles/clean-db/profile.yaml")
        }
        if try addGitignoreEntry(".dpm/", in: root) { written.append(".gitignore") }
        try AtomicFile.write(Data(config.yaml().utf8), to: configPath)
        written.insert(ProjectConfig.fileName, at: 0)
        return written
    }

    public static func createProfile(_ name: ProfileName, spec: ProfileSpec, in project: Project) throws {
        let directory = project.profileDirectory(name)
        guard !FileManager.default.fileExists(atPath: "\(directory)/profile.yaml") else {
            throw DPMError.conflict("The profile \(name) already exists (profiles/\(name)/profile.yaml).")
        }
        try createFolder(directory)
        try AtomicFile.write(Data(spec.yaml().utf8), to: "\(directory)/profile.yaml")
        if spec.kind == .clean { try createFolder(project.cleanBaseDirectory(name)) }
    }

    /// Removes profiles/<name>/; the store keeps its snapshots, and a clean profile's git files stay.
    public static func deleteProfile(_ name: ProfileName, in project: Project) throws {
        _ = try project.profile(name)
        do {
            try FileManager.default.removeItem(atPath: project.profileDirectory(name))
        } catch {
            throw DPMError.system("Cannot delete profiles/\(name): \(SystemErrorText.reason(error)).")
        }
    }

    /// Appends `entry` to .gitignore unless a line already says it; returns whether it wrote.
    private static func addGitignoreEntry(_ entry: String, in root: String) throws -> Bool {
        let path = "\(root)/.gitignore"
        let existing = (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
        let lines = existing.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }
        guard !lines.contains(entry), !lines.contains(String(entry.dropLast())), !lines.contains("/\(entry)") else { return false }
        let separator = existing.isEmpty || existing.hasSuffix("\n") ? "" : "\n"
        try AtomicFile.write(Data((existing + separator + "# dpm local state (template databases, stashes, store)\n\(entry)\n").utf8), to: path)
        return true
    }
}
