@testable import DatasetKit
import Foundation
import XCTest

final class MigrationFilesTests: XCTestCase {
    private var root = ""

    override func setUpWithError() throws {
        root = NSTemporaryDirectory() + "dpm-migrations-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: "\(root)/db/migrations", withIntermediateDirectories: true)
    }

    override func tearDown() { try? FileManager.default.removeItem(atPath: root) }

    private var project: Project { Project(root: root, config: ProjectConfig()) }

    private func add(_ name: String) throws {
        try Data("select 1;\n".utf8).write(to: URL(fileURLWithPath: "\(root)/db/migrations/\(name)"))
    }

    func testFilesComeInNumericVersionOrder() throws {
        for name in ["10_ten.sql", "9_nine.sql", "20260301090000_create_labels.sql", "11_up_style.up.sql", "11_up_style.down.sql", ".gitkeep", "README.md"] {
            try add(name)
        }
        let files = try MigrationFiles.load(project)
        XCTAssertEqual(files.map(\.version), ["9", "10", "11", "20260301090000"])
        XCTAssertEqual(files.map(\.name), ["nine", "ten", "up_style", "create_labels"])
        XCTAssertEqual(files.first?.path, "db/migrations/9_nine.sql")
    }

    func testANameThatDoesNotParseIsNamedWithTheExpectedForm() throws {
        try add("add_users.sql")
        XCTAssertThrowsError(try MigrationFiles.load(project)) { error in
            XCTAssertEqual(error.userMessage, "The migration file db/migrations/add_users.sql does not have the expected name \(MigrationFiles.expectedForm).")
            XCTAssertEqual((error as? DPMError)?.kind, .invalidInput)
        }
    }

    func testTwoFilesWithOneVersionAreRefused() throws {
        try add("5_a.sql")
        try add("5_b.sql")
        XCTAssertThrowsError(try MigrationFiles.load(project)) { error in
            XCTAssertTrue(error.userMessage.contains("db/migrations/5_a.sql and db/migrations/5_b.sql have the same version 5"), error.userMessage)
            XCTAssertEqual((error as? DPMError)?.kind, .invalidInput)
        }
    }

    func testComparisonPerToolLayout() {
        let files = ["1", "2", "3"].map { MigrationFile(version: $0, name: "m\($0)", path: "db/migrations/\($0)_m\($0).sql") }
        let rails = MigrationComparison.compare([MigrationState(table: "schema_migrations", versions: ["0", "1", "3"], tool: "rails/dbmate")],
                                                files: files, preferred: nil)
        XCTAssertEqual(rails.pending?.map(\.version), ["2"])
        XCTAssertEqual(rails.unknown, ["0"], "squashed into the base, or from another branch")

        let golang = MigrationComparison.compare([MigrationState(table: "schema_migrations", versions: ["2"], tool: "golang-migrate", latestOnly: true)],
                                                 files: files, preferred: nil)
        XCTAssertEqual(golang.pending?.map(\.version), ["3"], "golang-migrate records only the latest version")

        let knex = MigrationComparison.compare([MigrationState(table: "knex_migrations", versions: ["1_m1.js", "2_m2.js"], tool: "knex")],
                                               files: files, preferred: nil)
        XCTAssertEqual(knex.pending?.map(\.version), ["3"])

        let alembic = MigrationComparison.compare([MigrationState(table: "alembic_version", versions: ["ae1027a6acf"], tool: "alembic", latestOnly: true)],
                                                  files: files, preferred: nil)
        XCTAssertNil(alembic.pending, "alembic revisions are not file versions")

        let none = MigrationComparison.compare([], files: files, preferred: nil)
        XCTAssertEqual(none.pending?.count, 3)
        XCTAssertTrue(MigrationVersion.less("9", "10") && MigrationVersion.less("009", "10") && !MigrationVersion.less("10", "9"))
    }
}
