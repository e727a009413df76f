import Foundation

/// One migration file of the repository: `<version>_<name>.sql` (golang-migrate's
/// `<version>_<name>.up.sql` is read too; `.down.sql` files are ignored).
public struct MigrationFile: Sendable, Equatable, Codable {
    public var version: String
    public var name: String
    /// Relative to the project root.
    public var path: String
}

/// Versions are digits compared as numbers (without overflow: by length, then text).
public enum MigrationVersion {
    public static func less(_ a: String, _ b: String) -> Bool {
        let a = trimmed(a), b = trimmed(b)
        return a.count != b.count ? a.count < b.count : a < b
    }

    /// The leading digits of a recorded entry (knex records file names, e.g. "20260101_init.js").
    public static func leadingDigits(_ text: String) -> String? {
        let digits = text.prefix { $0.isASCII && $0.isNumber }
        return digits.isEmpty ? nil : String(digits)
    }

    private static func trimmed(_ text: String) -> String {
        let stripped = text.drop { $0 == "0" }
        return stripped.isEmpty ? "0" : String(stripped)
    }
}

/// The migration folder (`migrations.dir`), read and checked.
public enum MigrationFiles {
    public static let expectedForm = "<version>_<name>.sql, where the version is digits (e.g. 20260301120000_add_due_dates.sql)"

    /// The files in version order; a name that does not parse, or two files with one
    /// version, is refused with the file named.
    public static func load(_ project: Project) throws -> [MigrationFile] {
        let directory = project.path(project.config.migrationsDir)
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory) else { return [] }
        guard isDirectory.boolValue else {
            throw DPMError.invalidInput("migrations.dir \(project.config.migrationsDir) is not a folder.")
        }
        let entries = try FileManager.default.contentsOfDirectory(atPath: directory).sorted()
        var files: [MigrationFile] = []
        var byVersion: [String: String] = [:]
        for entry in entries where entry.hasSuffix(".sql") && !entry.hasSuffix(".down.sql") {
            let relative = "\(project.config.migrationsDir)/\(entry)"
            guard let match = entry.firstMatch(of: /^([0-9]+)_([A-Za-z0-9_\-.]+?)(\.up)?\.sql$/) else {
                throw DPMError.invalidInput("The migration file \(relative) does not have the expected name \(expectedForm).")
            }
            let version = String(match.1)
            if let other = byVersion[version] {
                throw DPMError.invalidInput("The migration files \(other) and \(relative) have the same version \(version); give one of them a new version.")
            }
            byVersion[version] = relative
            files.append(MigrationFile(version: version, name: String(match.2), path: relative))
        }
        return files.sorted { MigrationVersion.less($0.version, $1.version) }
    }
}
