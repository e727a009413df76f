import DatasetKit
import Foundation
import XCTest

/// A secret given to dpm in any of the places a user may put one never reaches its output,
/// the committed dpm.yaml, or a child process's argv.
final class SecretsTests: XCTestCase {
    private var harness: Harness!
    private static let secret = "Sup3r-s3cret-pw"

    override func setUpWithError() throws { harness = try Harness() }
    override func tearDown() { harness?.tearDown() }

    private func assertSecretNowhere(_ run: Harness.Run, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertFalse(run.stdout.contains(Self.secret), run.stdout, file: file, line: line)
        XCTAssertFalse(run.stderr.contains(Self.secret), run.stderr, file: file, line: line)
    }

    /// (a) A multi-host URI (which URLComponents cannot read) and the other forms libpq reads.
    func testPasswordInAMultiHostURIInDpmYamlIsRefused() throws {
        for database in ["postgresql://u:\(Self.secret)@h1:5432,h2:5432/db", "postgresql://u:\(Self.secret)@[::1]:5432,localhost/db",
                         "host=h1,h2 sslpassword=\(Self.secret)", "postgresql://u@h1,h2/db?password=\(Self.secret)"] {
            try harness.write("database: \"\(database)\"\n", to: "dpm.yaml")
            let run = harness.dpm("status")
            XCTAssertNotEqual(run.status, 0, database)
            XCTAssertTrue(run.stderr.contains("dpm.yaml line 1: the connection string contains a password"), run.stderr)
            assertSecretNowhere(run)
        }
        let elsewhere = harness.root + "/fresh"
        try FileManager.default.createDirectory(atPath: elsewhere, withIntermediateDirectories: true)
        let initialized = harness.dpm("init", "--database", "postgresql://u:\(Self.secret)@h1:5432,h2:5432/db", in: elsewhere)
        XCTAssertNotEqual(initialized.status, 0)
        XCTAssertTrue(initialized.stderr.contains("--database contains a password"), initialized.stderr)
        assertSecretNowhere(initialized)
        XCTAssertFalse(FileManager.default.fileExists(atPath: elsewhere + "/dpm.yaml"), "nothing written")
    }

    /// (b) libpq's parse errors quote the string, or the token they stopped at.
    func testUnparsableConnectionStringsAreReportedWithoutTheirPassword() throws {
        for url in ["postgresql://u:\(Self.secret)@[::1/db", "POSTGRESQL://u:\(Self.secret)@localhost/db",
                    "postgresql://u:\(Self.secret)%zz@localhost/db", "host=localhost password=\(Self.secret) nonsense",
                    "host=localhost password='\(Self.secret)"] {
            for arguments in [["status"], ["upload", "clean-db"]] {
                let run = harness.dpm(arguments, environment: ["DPM_DATABASE_URL": url])
                XCTAssertNotEqual(run.status, 0, "\(arguments) \(url)")
                XCTAssertTrue(run.stderr.contains("The database connection string is not valid: "), run.stderr)
                assertSecretNowhere(run)
            }
        }
    }

    /// (c) sslpassword reaches pg_dump, pg_restore and psql in a 0600 service file, never on argv.
    func testSSLPasswordNeverReachesAChildsArgv() throws {
        try Fixture.create(in: harness)
        harness.dpm("profile", "create", "ug", "--kind", "shared")
        let tools = try RecordingTools(in: harness.root + "/bin")
        let environment = ProcessInfo.processInfo.environment
        let conninfo = "host=\(environment["PGHOST"] ?? "") port=\(environment["PGPORT"] ?? "5432") dbname=\(harness.database) sslpassword=\(Self.secret)"
        let settings = ["DPM_DATABASE_URL": conninfo, "DPM_PG_BIN": tools.folder]

        let upload = harness.dpm("upload", "ug", environment: settings)
        XCTAssertEqual(upload.status, 0, upload.stderr)
        assertSecretNowhere(upload)
        let restore = harness.dpm("restore", "ug", "--into", harness.prefix + "_copy", environment: settings)
        XCTAssertEqual(restore.status, 0, restore.stderr)
        assertSecretNowhere(restore)
        XCTAssertEqual(try harness.contentDigest(of: harness.prefix + "_copy"), try harness.contentDigest())

        let calls = try tools.calls()
        let connecting = calls.filter { $0.contains("--dbname=") }
        XCTAssertTrue(connecting.contains { $0.contains("tool: pg_dump") }, calls.joined(separator: "\n"))
        XCTAssertTrue(connecting.contains { $0.contains("tool: pg_restore") }, calls.joined(separator: "\n"))
        for call in calls {
            let argv = call.split(separator: "\n").filter { $0.hasPrefix("argv:") }.joined()
            XCTAssertFalse(argv.contains(Self.secret), call)
        }
        for call in connecting {
            XCTAssertTrue(call.contains("service file mode: 600"), call)
            XCTAssertTrue(call.contains("service file: [dpm] sslpassword=\(Self.secret)"), call)
        }
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: NSTemporaryDirectory()).filter { $0.hasPrefix("dpm-secrets-") }
        for name in leftovers {
            let contents = (try? String(contentsOfFile: NSTemporaryDirectory() + name + "/pg_service.conf", encoding: .utf8)) ?? ""
            XCTAssertFalse(contents.contains(Self.secret), "the service file is removed after the tool: \(name)")
        }
    }

    /// (d) An S3 endpoint with user information is refused without echoing it.
    func testS3EndpointWithUserInfoIsNeverEchoed() throws {
        let endpoint = "http://user:\(Self.secret)@127.0.0.1:1"
        let environment = ["DPM_STORE": "s3://dpm-bucket/x", "AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test",
                           "DPM_S3_MAX_ATTEMPTS": "1"]
        for (arguments, extra) in [(["status"], ["AWS_ENDPOINT_URL_S3": endpoint]), (["upload", "clean-db"], ["AWS_ENDPOINT_URL_S3": endpoint]),
                                   (["upload", "clean-db"], ["AWS_ENDPOINT_URL_S3": "ftp://user:\(Self.secret)@127.0.0.1:1"]),
                                   (["upload", "clean-db"], ["DPM_STORE": "s3://user:\(Self.secret)@dpm-bucket/x"])] {
            let run = harness.dpm(arguments, environment: environment.merging(extra) { $1 })
            assertSecretNowhere(run)
        }
        try harness.write("database: \"dbname=\(harness.database)\"\nstore: \"s3://dpm-bucket/x\"\nendpoint: \"\(endpoint)\"\n", to: "dpm.yaml")
        let run = harness.dpm("upload", "clean-db", environment: ["AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test"])
        XCTAssertNotEqual(run.status, 0)
        XCTAssertTrue(run.stderr.contains("The S3 endpoint \"http://***@127.0.0.1:1\" contains a user name or password"), run.stderr)
        assertSecretNowhere(run)
    }
}

/// Stand-ins for pg_dump, pg_restore and psql (a folder for DPM_PG_BIN) that record their
/// argv and the service file they were given, then run the real tool.
struct RecordingTools {
    let folder: String
    private let log: String

    init(in folder: String) throws {
        self.folder = folder
        log = folder + "/calls.log"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let real = Self.realFolder()
        for tool in ["pg_dump", "pg_restore", "psql"] {
            let script = """
            #!/bin/sh
            # One write per run: tools run at the same time append to the same log.
            record="$(
              printf 'tool: %s\\n' '\(tool)'
              printf 'argv:'; for argument in "$@"; do printf ' [%s]' "$argument"; done; printf '\\n'
              if [ -n "$PGSERVICEFILE" ]; then
                printf 'service file mode: %s\\n' "$(stat -c %a "$PGSERVICEFILE")"
                printf 'service file: %s\\n' "$(tr '\\n' ' ' < "$PGSERVICEFILE" | sed 's/ $//')"
              fi
            )"
            printf '%s\\n----\\n' "$record" >> '\(log)'
            exec '\(real)/\(tool)' "$@"
            """
            try script.write(toFile: "\(folder)/\(tool)", atomically: true, encoding: .utf8)
            chmod("\(folder)/\(tool)", 0o755)
        }
    }

    /// The newest Debian PostgreSQL client folder, else /usr/bin.
    private static func realFolder() -> String {
        let versions = ((try? FileManager.default.contentsOfDirectory(atPath: "/usr/lib/postgresql")) ?? []).compactMap(Int.init).sorted()
        for version in versions.reversed() where FileManager.default.isExecutableFile(atPath: "/usr/lib/postgresql/\(version)/bin/pg_dump") {
            return "/usr/lib/postgresql/\(version)/bin"
        }
        return "/usr/bin"
    }

    /// One record per run, version checks included.
    func calls() throws -> [String] {
        try String(contentsOfFile: log, encoding: .utf8).components(separatedBy: "----\n").filter { !$0.isEmpty }
    }
}
