import DatasetKit
import Foundation
@testable import Postgres
import XCTest

final class ConnectionSettingsTests: XCTestCase {
    func testURIAndKeywordFormsParseAlike() throws {
        let uri = try ConnectionSettings(conninfo: "postgresql://app@db.example:6543/shop?sslmode=require")
        let keywords = try ConnectionSettings(conninfo: "host=db.example port=6543 user=app dbname=shop sslmode=require")
        XCTAssertEqual(uri.parameters, keywords.parameters)
        XCTAssertEqual(uri.database, "shop")
        XCTAssertEqual(uri.location, "db.example:6543")
    }

    func testPasswordNeverReachesTheConnectionStringForChildren() throws {
        let settings = try ConnectionSettings(conninfo: "postgresql://app:t0p-secret@localhost/shop")
        XCTAssertFalse(settings.conninfo.contains("t0p-secret"))
        XCTAssertEqual(settings.childEnvironment["PGPASSWORD"], "t0p-secret")
        XCTAssertTrue(settings.keywordValues().contains { $0 == ("password", "t0p-secret") })
    }

    func testOtherDatabaseKeepsTheRestAndQuotesValues() throws {
        let settings = try ConnectionSettings(conninfo: "host=/run/pg user=o'brien dbname=a").with(database: "b c")
        XCTAssertEqual(settings.conninfo, "dbname='b c' host='/run/pg' user='o\\'brien'")
        XCTAssertEqual(try ConnectionSettings(conninfo: settings.conninfo).parameters, settings.parameters)
    }

    func testInvalidStringIsOneSentence() {
        XCTAssertThrowsError(try ConnectionSettings(conninfo: "host=x nonsense_key=1")) {
            XCTAssertEqual($0.userMessage, "The database connection string is not valid: invalid connection option \"nonsense_key\".")
            XCTAssertEqual(($0 as? DPMError)?.kind, .invalidInput)
        }
    }

    func testParseErrorsNeverCarryTheSecrets() {
        for conninfo in ["postgresql://u:pw-s3cret@[::1/db", "POSTGRESQL://u:pw-s3cret@h/db", "postgresql://u:pw-s3cret%zz@h/db",
                         "host=h password=pw-s3cret extra", "host=h sslpassword='pw-s3cret"] {
            XCTAssertThrowsError(try ConnectionSettings(conninfo: conninfo), conninfo) {
                XCTAssertTrue($0.userMessage.hasPrefix("The database connection string is not valid: "), $0.userMessage)
                XCTAssertFalse($0.userMessage.contains("s3cret"), $0.userMessage)
                XCTAssertFalse($0.userMessage.contains("pw-"), $0.userMessage)
            }
        }
    }

    func testEverySecretKeywordIsKeptApart() throws {
        let settings = try ConnectionSettings(conninfo: "postgresql://u:pw1234@h1:5432,h2:5432/db?sslpassword=key-pass&sslmode=require")
        XCTAssertEqual(settings.secrets, ["password": "pw1234", "sslpassword": "key-pass"])
        XCTAssertEqual(settings.parameters["host"], "h1,h2")
        XCTAssertFalse(settings.conninfo.contains("key-pass"))
        XCTAssertFalse(settings.conninfo.contains("pw1234"))
        XCTAssertEqual(settings.toolSecrets, ["sslpassword": "key-pass"])
        XCTAssertTrue(settings.keywordValues().contains { $0 == ("sslpassword", "key-pass") })
        XCTAssertEqual(settings.scrub("could not read key-pass"), "could not read ***")
        XCTAssertEqual(LibpqConnectionStrings().secretKeywords(in: "postgresql://u:pw@h1:5432,h2:5432/db"), ["password"])
        XCTAssertEqual(LibpqConnectionStrings().secretKeywords(in: "host=h dbname=d"), [])
        XCTAssertNil(LibpqConnectionStrings().secretKeywords(in: "POSTGRESQL://u:pw@h/db"))
    }

    func testSecretsForToolsGoInAPrivateServiceFile() throws {
        let secrets = try XCTUnwrap(try ClientSecrets(["sslpassword": "key pass"]))
        defer { secrets.remove() }
        var info = stat()
        XCTAssertEqual(stat(secrets.path, &info), 0)
        XCTAssertEqual(info.st_mode & 0o777, 0o600)
        let folder = String(secrets.path.prefix { $0 != "\0" }.split(separator: "/").dropLast().joined(separator: "/"))
        XCTAssertEqual(stat("/" + folder, &info), 0)
        XCTAssertEqual(info.st_mode & 0o777, 0o700)
        XCTAssertEqual(try String(contentsOfFile: secrets.path, encoding: .utf8), "[dpm]\nsslpassword=key pass\n")
        XCTAssertNil(try ClientSecrets([:]))
        XCTAssertThrowsError(try ConnectionSettings(conninfo: "service=mine sslpassword=x")) {
            XCTAssertTrue($0.userMessage.contains("together with a service"), $0.userMessage)
        }
        XCTAssertThrowsError(try ConnectionSettings(conninfo: "host=h sslpassword='x '")) {
            XCTAssertFalse($0.userMessage.contains("'x '"), $0.userMessage)
        }
    }

    func testIdentifierQuoting() {
        XCTAssertEqual(SQL.identifier("we\"ird name"), "\"we\"\"ird name\"")
    }
}

/// Administrative operations against the server shell/test.sh started.
final class PostgresServerTests: XCTestCase {
    func testCreateRenameDropAndQuery() throws {
        guard ProcessInfo.processInfo.environment["PGHOST"] != nil else {
            if ProcessInfo.processInfo.environment["DPM_TEST_REQUIRE_SERVICES"] == "1" { return XCTFail("PGHOST is not set") }
            throw XCTSkip("No PostgreSQL; run shell/test.sh.")
        }
        let server = PostgresServer(settings: try ConnectionSettings(conninfo: nil))
        XCTAssertGreaterThanOrEqual(try server.serverVersion().major, 13)
        let name = "dpm_pgtest_\(randomSuffix()) \"quoted\""
        try server.createDatabase(name)
        XCTAssertTrue(try server.databaseExists(name))
        XCTAssertEqual(try server.query("SELECT current_database(), $1::int + 1", parameters: ["41"], in: name), [[name, "42"]])
        XCTAssertEqual(try server.query("SELECT NULL", parameters: [], in: name), [[nil]])
        try server.renameDatabase(name, to: name + "2")
        XCTAssertFalse(try server.databaseExists(name))
        try server.dropDatabase(name + "2")
        XCTAssertFalse(try server.databaseExists(name + "2"))
        XCTAssertThrowsError(try server.query("SELEC 1", parameters: [], in: "postgres")) {
            XCTAssertTrue($0.userMessage.hasPrefix("A query in postgres failed: syntax error"), $0.userMessage)
            XCTAssertEqual(($0 as? DPMError)?.kind, .database)
        }
    }

    /// The unsanitized-upload warning names servers that are not on this machine.
    func testLoopbackAndSocketsAreOnThisMachine() throws {
        for local in ["host=/tmp/sock", "host=localhost", "host=127.0.0.1", "host=::1", "postgresql:///shop", "host=localhost,127.0.0.2"] {
            XCTAssertTrue(try ConnectionSettings(conninfo: local).isOnThisMachine, local)
        }
        for remote in ["host=db.example", "host=10.0.0.5", "host=localhost,db.example", "postgresql://prod.example/shop"] {
            XCTAssertFalse(try ConnectionSettings(conninfo: remote).isOnThisMachine, remote)
        }
    }
}
