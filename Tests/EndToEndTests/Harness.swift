import DatasetKit
import Foundation
import XCTest

/// Runs the real `dpm` binary in a scratch project against the PostgreSQL server that
/// shell/test.sh started (PGHOST/PGPORT/PGUSER). Every database it makes shares a prefix
/// and is dropped at the end.
final class Harness {
    struct Run {
        let status: Int32
        let stdout: String
        let stderr: String
    }

    let root: String
    let database: String
    let prefix: String
    var media: String { "\(root)/media" }
    var store: String { "\(root)/.dpm/store" }
    /// Set for every dpm this harness runs (a test's own tuning, like `unpacked`).
    var environment: [String: String] = [:]
    /// DPM_PACK_BELOW=0: every object stored on its own, as format 2 stored it, for the tests
    /// that damage, delete or count one table's object (PackTests does the same for packs).
    static let unpacked = ["DPM_PACK_BELOW": "0"]

    static var binary: String {
        if let path = ProcessInfo.processInfo.environment["DPM_BINARY"], !path.isEmpty { return path }
        // Tests/EndToEndTests/Harness.swift → the package root's debug build.
        let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        return packageRoot.appendingPathComponent(".build/debug/dpm").path
    }

    /// Skips (or, under shell/test.sh, fails) when no server was started for the tests.
    init() throws {
        let environment = ProcessInfo.processInfo.environment
        guard environment["PGHOST"] != nil else {
            if environment["DPM_TEST_REQUIRE_SERVICES"] == "1" { throw DPMError.internal("PGHOST is not set although shell/test.sh should have started PostgreSQL.") }
            throw XCTSkip("No PostgreSQL for end-to-end tests; run shell/test.sh.")
        }
        guard FileManager.default.isExecutableFile(atPath: Self.binary) else { throw DPMError.internal("No dpm binary at \(Self.binary); run swift build first.") }
        Transcript.start()
        prefix = "dpm_e2e_\(randomSuffix())"
        database = prefix + "_work"
        root = NSTemporaryDirectory() + "dpm-e2e-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        let initialized = dpm("init", "--database", "dbname=\(database)", "--media", "media")
        guard initialized.status == 0 else { throw DPMError.internal("dpm init failed: \(initialized.stderr)") }
    }

    func tearDown() {
        for name in (try? databases()) ?? [] { _ = try? psql("DROP DATABASE IF EXISTS \"\(name)\" WITH (FORCE)", in: "postgres") }
        try? FileManager.default.removeItem(atPath: root)
    }

    @discardableResult
    func dpm(_ arguments: String..., environment: [String: String] = [:], in directory: String? = nil) -> Run {
        dpm(arguments, environment: environment, in: directory)
    }

    @discardableResult
    func dpm(_ arguments: [String], environment: [String: String] = [:], in directory: String? = nil) -> Run {
        let result = run(Self.binary, arguments, environment: environment, directory: directory ?? root)
        Transcript.record(arguments, result, root: root, prefix: prefix)
        return result
    }

    /// Runs SQL with psql and returns its unaligned, tuples-only output.
    @discardableResult
    func psql(_ sql: String, in database: String? = nil) throws -> String {
        let result = run("/usr/bin/env", ["psql", "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-d", database ?? self.database, "-c", sql],
                         environment: [:], directory: root)
        guard result.status == 0 else { throw DPMError.internal("psql failed: \(result.stderr)") }
        return result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Runs a program found on PATH (git, pg_dump) in the project folder.
    @discardableResult
    func command(_ name: String, _ arguments: [String]) -> Run {
        run("/usr/bin/env", [name] + arguments, environment: [:], directory: root)
    }

    /// The databases this harness made (all start with its prefix).
    func databases() throws -> [String] {
        try psql("SELECT datname FROM pg_database WHERE datname LIKE '\(prefix)%' ORDER BY 1", in: "postgres")
            .split(separator: "\n").map(String.init)
    }

    func databaseExists(_ name: String) throws -> Bool { try databases().contains(name) }

    /// A digest of every table's rows, sequences and views: equal digests mean equal contents.
    func contentDigest(of database: String? = nil) throws -> String {
        let sql = """
        SELECT string_agg(line, E'\\n' ORDER BY line) FROM (
          SELECT 'table ' || c.relname || ' ' || (xpath('/row/c/text()', query_to_xml(
            format('SELECT count(*) || '':'' || coalesce(md5(string_agg(t::text, ''|'' ORDER BY t::text)), '''') AS c FROM %I.%I t', n.nspname, c.relname),
            false, true, '')))[1]::text AS line
          FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
          WHERE c.relkind = 'r' AND n.nspname NOT IN ('pg_catalog', 'information_schema')
          UNION ALL
          SELECT 'sequence ' || sequencename || ' ' || coalesce(last_value::text, 'unused') FROM pg_sequences
          UNION ALL
          SELECT 'view ' || viewname || ' ' || md5(definition) FROM pg_views WHERE schemaname = 'public'
        ) lines
        """
        return try psql(sql, in: database)
    }

    /// Every file under the project (store and media included) with its SHA-256, plus the
    /// harness's databases: a failed command must leave this unchanged.
    func stateFingerprint() throws -> String {
        var lines: [String] = []
        let walker = FileManager.default.enumerator(atPath: root)
        while let relative = walker?.nextObject() as? String {
            let path = "\(root)/\(relative)"
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue else { continue }
            // Lock files and the background log say nothing about the project's state.
            if [".dpm/lock", ".dpm/refill.lock", ".dpm/refill.log"].contains(relative) { continue }
            lines.append("\(relative) \(SHA256Hex.of(FileManager.default.contents(atPath: path) ?? Data()))")
        }
        let closed = Set(try psql("SELECT datname FROM pg_database WHERE datname LIKE '\(prefix)%' AND NOT datallowconn", in: "postgres")
            .split(separator: "\n").map(String.init))
        for name in try databases() {
            // Templates take no connections; their label says what they hold.
            let digest = closed.contains(name)
                ? try psql("SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = '\(name)'", in: "postgres")
                : try contentDigest(of: name)
            lines.append("db \(name) \(digest)")
        }
        return lines.sorted().joined(separator: "\n")
    }

    func write(_ text: String, to relative: String) throws {
        let path = relative.hasPrefix("/") ? relative : "\(root)/\(relative)"
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
    }

    func read(_ relative: String) -> Data? { FileManager.default.contents(atPath: "\(root)/\(relative)") }

    private func run(_ executable: String, _ arguments: [String], environment: [String: String], directory: String) -> Run {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.currentDirectoryURL = URL(fileURLWithPath: directory)
        // No background refills unless a test asks: they would outlive the test's databases.
        process.environment = ProcessInfo.processInfo.environment.merging(["DPM_REFILL": "off"]) { $1 }
            .merging(self.environment) { $1 }.merging(environment) { $1 }
        let output = NSTemporaryDirectory() + "dpm-out-\(UUID().uuidString)"
        _ = FileManager.default.createFile(atPath: output + ".1", contents: nil)
        _ = FileManager.default.createFile(atPath: output + ".2", contents: nil)
        defer { try? FileManager.default.removeItem(atPath: output + ".1"); try? FileManager.default.removeItem(atPath: output + ".2") }
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = FileHandle(forWritingAtPath: output + ".1")
        process.standardError = FileHandle(forWritingAtPath: output + ".2")
        do { try process.run() } catch { return Run(status: -1, stdout: "", stderr: "\(error)") }
        process.waitUntilExit()
        return Run(status: process.terminationStatus,
                   stdout: String(decoding: FileManager.default.contents(atPath: output + ".1") ?? Data(), as: UTF8.self),
                   stderr: String(decoding: FileManager.default.contents(atPath: output + ".2") ?? Data(), as: UTF8.self))
    }
}

/// A database with the shapes real applications have: many column types, a foreign key,
/// a sequence, a view, a migrations table, and text that needs escaping in COPY.
enum Fixture {
    static let schema = """
    CREATE EXTENSION IF NOT EXISTS pgcrypto;
    CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy');
    CREATE TABLE accounts (
        id bigserial PRIMARY KEY, name text NOT NULL, created timestamptz NOT NULL DEFAULT '2026-01-01 10:00:00+00',
        balance numeric(12,2), tags text[], settings jsonb, uid uuid NOT NULL DEFAULT gen_random_uuid(), mood mood, photo bytea,
        CHECK (balance IS NULL OR balance > -1000000));
    CREATE TABLE orders (id serial PRIMARY KEY, account_id bigint NOT NULL REFERENCES accounts(id), amount numeric, note text, placed date);
    CREATE INDEX orders_account ON orders(account_id);
    CREATE TABLE audit_log (id bigserial PRIMARY KEY, entry text);
    CREATE SEQUENCE invoice_numbers START 1000;
    CREATE VIEW big_orders AS SELECT o.id, a.name, o.amount FROM orders o JOIN accounts a ON a.id = o.account_id WHERE o.amount > 100;
    CREATE TABLE schema_migrations (version text PRIMARY KEY);
    INSERT INTO schema_migrations VALUES ('20260101000000'), ('20260201000000');
    INSERT INTO accounts (name, balance, tags, settings, mood, photo)
      SELECT 'account ' || i || E'\\twith tab', i * 1.5, ARRAY['t' || i, 'x'], jsonb_build_object('n', i, 'deep', jsonb_build_object('k', repeat('v', i % 7))),
             (ARRAY['sad','ok','happy'])[1 + i % 3]::mood, decode(md5(i::text), 'hex')
      FROM generate_series(1, 300) i;
    INSERT INTO accounts (name, settings) VALUES (E'multi\\nline \\\\ backslash ünïcødé', NULL);
    INSERT INTO orders (account_id, amount, note, placed)
      SELECT 1 + i % 300, (i * 7) % 500, CASE WHEN i % 5 = 0 THEN NULL ELSE 'note ' || md5(i::text) END, DATE '2026-01-01' + i % 90
      FROM generate_series(1, 2000) i;
    INSERT INTO audit_log (entry) SELECT 'event ' || i FROM generate_series(1, 500) i;
    SELECT nextval('invoice_numbers') FROM generate_series(1, 5);
    """

    static func create(in harness: Harness, database: String? = nil) throws {
        let name = database ?? harness.database
        try harness.psql("CREATE DATABASE \"\(name)\"", in: "postgres")
        try harness.psql(schema, in: name)
    }

    /// Media with nesting, an empty file, binary content and a non-ASCII name.
    static func createMedia(in harness: Harness) throws {
        try harness.write("hello", to: "media/readme.txt")
        try harness.write("", to: "media/empty")
        try harness.write("ünïcødé", to: "media/attachments/2026/naïve file.txt")
        let binary = Data((0..<300_000).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ $0 >> 8) })
        try binary.write(to: URL(fileURLWithPath: "\(harness.media)/attachments/photo.bin"))
        chmod("\(harness.media)/readme.txt", 0o600)
    }

    /// Relative path → (content hash, permission bits) for every file under `folder`.
    static func mediaFingerprint(_ folder: String) -> [String: String] {
        var result: [String: String] = [:]
        let walker = FileManager.default.enumerator(atPath: folder)
        while let relative = walker?.nextObject() as? String {
            let path = "\(folder)/\(relative)"
            var info = stat()
            guard lstat(path, &info) == 0, info.st_mode & S_IFMT == S_IFREG else { continue }
            result[relative] = SHA256Hex.of(FileManager.default.contents(atPath: path) ?? Data()) + String(format: " %o", info.st_mode & 0o777)
        }
        return result
    }
}
