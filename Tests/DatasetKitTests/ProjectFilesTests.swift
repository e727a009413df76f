import DatasetKit
import Foundation
import XCTest

final class ProjectFilesTests: XCTestCase {
    private var folder: String!

    override func setUpWithError() throws {
        folder = NSTemporaryDirectory() + "dpm-unit-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(atPath: folder)
    }

    private func write(_ text: String, _ name: String = "dpm.yaml") -> String {
        let path = "\(folder!)/\(name)"
        _ = FileManager.default.createFile(atPath: path, contents: Data(text.utf8))
        return path
    }

    private func message(_ body: () throws -> Void) -> String {
        do { try body(); return "no error" } catch { return error.userMessage }
    }

    func testProfileNameRule() throws {
        for valid in ["a", "clean-db", "customer_acme2", String(repeating: "a", count: 63)] {
            XCTAssertNoThrow(try ProfileName(valid), valid)
        }
        for invalid in ["", "1abc", "-x", "Upper", "has space", "ü", "a/b", "..", String(repeating: "a", count: 64)] {
            XCTAssertThrowsError(try ProfileName(invalid), invalid) { error in
                XCTAssertTrue(error.userMessage.contains("starting with a letter"), error.userMessage)
            }
        }
    }

    func testConfigReadsSettingsAndEnvironmentOverrides() throws {
        let path = write("database: \"dbname=app\"\nstore: file:store\nmedia: public/uploads\nmigrations:\n  dir: db/m\n  table: schema_migrations\n")
        var config = try ProjectConfig.load(path: path, overrides: ProjectOverrides(), connectionStrings: UnparsableStrings())
        XCTAssertEqual(config, ProjectConfig(database: "dbname=app", store: "file:store", media: "public/uploads",
                                             migrationsDir: "db/m", migrationsTable: "schema_migrations"))
        config = try ProjectConfig.load(path: path, overrides: ProjectOverrides(environment: ["DPM_DATABASE_URL": "postgresql:///other", "DPM_STORE": "file:///x"]), connectionStrings: UnparsableStrings())
        XCTAssertEqual(config.database, "postgresql:///other")
        XCTAssertEqual(config.store, "file:///x")
    }

    func testConfigErrorsNameFileAndLine() {
        let syntax = write("database: app\nstore: [unclosed\n")
        XCTAssertTrue(message { _ = try ProjectConfig.load(path: syntax, overrides: ProjectOverrides(), connectionStrings: UnparsableStrings()) }.contains("line 3"),
                      message { _ = try ProjectConfig.load(path: syntax, overrides: ProjectOverrides(), connectionStrings: UnparsableStrings()) })
        let unknown = write("database: app\nstroe: file:x\n")
        XCTAssertEqual(message { _ = try ProjectConfig.load(path: unknown, overrides: ProjectOverrides(), connectionStrings: UnparsableStrings()) },
                       "\(unknown) line 2: unknown setting \"stroe\" (known: database, encryption, endpoint, hooks, media, migrations, retention, store).")
        let notMapping = write("- a\n- b\n")
        XCTAssertTrue(message { _ = try ProjectConfig.load(path: notMapping, overrides: ProjectOverrides(), connectionStrings: UnparsableStrings()) }.contains("expected a mapping"))
    }

    func testConfigRefusesWhatTheReaderCallsASecret() throws {
        let path = write("database: \"postgresql://u@h1:5432,h2:5432/db?sslpassword=key-pass\"\n")
        let error = message { _ = try ProjectConfig.load(path: path, overrides: ProjectOverrides(), connectionStrings: FixedReader(keywords: ["sslpassword"])) }
        XCTAssertTrue(error.contains("contains a password"), error)
        XCTAssertFalse(error.contains("key-pass"), error)
        // What the reader parses without a secret is accepted, even where the text looks like one.
        let clean = write("database: \"host=h options='-c password=x'\"\n")
        XCTAssertNoThrow(try ProjectConfig.load(path: clean, overrides: ProjectOverrides(), connectionStrings: FixedReader(keywords: [])))
    }

    func testConfigRefusesPasswords() {
        for text in ["database: \"host=x password=secret dbname=a\"\n", "database: \"postgresql://u:secret@h/db\"\n",
                     "database: \"postgresql://u:secret@h1:5432,h2:5432/db\"\n", "database: \"POSTGRESQL://u:secret@h/db\"\n",
                     "database: \"postgresql://u:secret@[::1/db\"\n", "database: \"host=h sslpassword=secret\"\n"] {
            let path = write(text)
            let error = message { _ = try ProjectConfig.load(path: path, overrides: ProjectOverrides(), connectionStrings: UnparsableStrings()) }
            XCTAssertTrue(error.contains("contains a password"), error)
            XCTAssertFalse(error.contains("secret"), error)
        }
    }

    func testProfileSpecRoundTripAndErrors() throws {
        let spec = ProfileSpec(kind: .customer, description: "Acme \"prod\"",
                               tables: TableFilters(include: ["public.*"], exclude: ["tmp_*"], excludeData: ["audit_log"]))
        let path = write(spec.yaml(), "profile.yaml")
        XCTAssertEqual(try ProfileSpec.load(path: path, displayName: "profile.yaml"), spec)
        let bad = write("kind: sharde\n", "bad.yaml")
        XCTAssertEqual(message { _ = try ProfileSpec.load(path: bad, displayName: "profiles/x/profile.yaml") },
                       "profiles/x/profile.yaml line 1: kind must be clean, shared or customer, not \"sharde\".")
    }

    func testLocateWalksUpAndExplainsInit() throws {
        _ = write("store: file:s\n")
        let nested = "\(folder!)/a/b"
        try FileManager.default.createDirectory(atPath: nested, withIntermediateDirectories: true)
        XCTAssertEqual(try Project.locate(from: nested, overrides: ProjectOverrides(), connectionStrings: UnparsableStrings()).root, URL(fileURLWithPath: folder).standardizedFileURL.path)
        try FileManager.default.removeItem(atPath: "\(folder!)/dpm.yaml")
        XCTAssertTrue(message { _ = try Project.locate(from: nested, overrides: ProjectOverrides(), connectionStrings: UnparsableStrings()) }.contains("run \"dpm init\""))
    }

    func testUnknownProfileListsKnownOnes() throws {
        let project = Project(root: folder, config: ProjectConfig())
        try ProjectSetup.createProfile(try ProfileName("alpha"), spec: ProfileSpec(kind: .shared), in: project)
        try ProjectSetup.createProfile(try ProfileName("beta"), spec: ProfileSpec(kind: .customer), in: project)
        XCTAssertEqual(message { _ = try project.profile(try ProfileName("gamma")) },
                       "There is no profile \"gamma\" (known profiles: alpha, beta).")
        XCTAssertTrue(message { try ProjectSetup.createProfile(try ProfileName("alpha"), spec: ProfileSpec(kind: .shared), in: project) }
            .contains("already exists"))
    }

    func testInitWritesFilesOnceAndKeepsGitignore() throws {
        _ = write("build/\n", ".gitignore")
        let written = try ProjectSetup.initialize(at: folder, config: ProjectConfig(database: "dbname=app"))
        XCTAssertEqual(written.first, "dpm.yaml")
        XCTAssertEqual(try String(contentsOfFile: "\(folder!)/.gitignore", encoding: .utf8).split(separator: "\n").filter { !$0.hasPrefix("#") },
                       ["build/", ".dpm/"])
        let project = try Project.locate(from: folder, overrides: ProjectOverrides(), connectionStrings: UnparsableStrings())
        XCTAssertEqual(project.config.database, "dbname=app")
        XCTAssertEqual(try project.profile(try ProfileName("clean-db")).kind, .clean)
        XCTAssertTrue(message { _ = try ProjectSetup.initialize(at: folder, config: ProjectConfig()) }.contains("already has a dpm.yaml"))
    }
}

/// A reader for which libpq could parse nothing: the domain's check falls back to the text.
struct UnparsableStrings: ConnectionStringReader {
    func secretKeywords(in conninfo: String) -> [String]? { nil }
}

struct FixedReader: ConnectionStringReader {
    let keywords: [String]
    func secretKeywords(in conninfo: String) -> [String]? { keywords }
}
