import Foundation

/// `dpm migrations status`: for each profile's pinned snapshot (and the working database),
/// the repository's migrations it lacks and the versions it has that no file has.
public struct MigrationReport: Codable, Sendable {
    public struct Row: Codable, Sendable {
        /// A profile name, or the working database's name.
        public var name: String
        public var isWorkingDatabase: Bool
        public var snapshot: String?
        public var comparison: MigrationComparison?
        /// Why there is nothing to compare (no snapshot yet, database missing…).
        public var problem: String?
    }

    public var directory: String
    public var files: [MigrationFile]
    public var rows: [Row]

    public static func gather(project: Project, server: DatabaseServer, profiles requested: [ProfileName]) throws -> MigrationReport {
        let migrations = Migrations(project: project, server: server)
        let files = try migrations.files()
        let preferred = project.config.migrationsTable
        let names = requested.isEmpty ? try project.profileNames().map { try ProfileName($0) } : requested
        var rows: [Row] = []
        for name in names {
            let spec = try project.profile(name)
            var row = Row(name: name.value, isWorkingDatabase: false)
            do {
                if spec.kind == .clean {
                    row.snapshot = try CleanProfileFiles(project: project, server: server).contentKey(profile: name)
                    row.comparison = MigrationComparison.compare(try cleanStates(name, project: project, server: server),
                                                                 files: files, preferred: preferred)
                } else if let snapshot = try project.manifest(name) {
                    row.snapshot = snapshot.id
                    row.comparison = MigrationComparison.compare(snapshot.migrations, files: files, preferred: preferred)
                } else {
                    row.problem = "no snapshot yet"
                }
            } catch {
                row.problem = error.userMessage
            }
            rows.append(row)
        }
        if requested.isEmpty {
            var row = Row(name: server.defaultDatabase, isWorkingDatabase: true)
            if (try? server.databaseExists(server.defaultDatabase)) == true {
                row.comparison = try? migrations.comparison(in: server.defaultDatabase)
            } else {
                row.problem = "does not exist"
            }
            rows.append(row)
        }
        return MigrationReport(directory: project.config.migrationsDir, files: files, rows: rows)
    }

    /// A clean profile's versions live in its seed data: load the files into a scratch
    /// database to read them the way the tools would.
    static func cleanStates(_ name: ProfileName, project: Project, server: DatabaseServer) throws -> [MigrationState] {
        try server.withScratchDatabase("scratch") { scratch in
            try CleanProfileFiles(project: project, server: server).load(profile: name, into: scratch)
            return try MigrationDetector.detect(in: scratch, on: server)
        }
    }
}
