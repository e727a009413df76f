import DatasetKit
import Foundation
import XCTest

/// dpm.yaml's `hooks.post_restore` and `--no-hooks` on restore, use and attach, through the real binary.
final class HooksTests: XCTestCase {
    private var harness: Harness!
    private var snapshotID = ""
    /// The fixture's accounts, which a hook must see already restored.
    private let accounts = "301"

    override func setUpWithError() throws {
        harness = try Harness()
        try Fixture.create(in: harness)
        harness.dpm("profile", "create", "ug", "--kind", "shared")
        let upload = harness.dpm("upload", "ug", "--json")
        XCTAssertEqual(upload.status, 0, upload.stderr)
        snapshotID = try XCTUnwrap(harness.read("profiles/ug/manifest.json").flatMap {
            (try JSONSerialization.jsonObject(with: $0) as? [String: Any])?["id"] as? String
        })
        try harness.write("CREATE TABLE settings (key text PRIMARY KEY, value text);\n", to: "db/migration-base/clean-db/schema.sql")
        // Records what a hook sees, one block per run, into the file it is given; says hello on stdout.
        try harness.write("""
            #!/bin/sh
            {
              echo "PGDATABASE=$PGDATABASE"
              echo "DATABASE_URL=$DATABASE_URL"
              echo "PGHOST=$PGHOST PGPORT=$PGPORT PGUSER=$PGUSER"
              echo "DPM_PROFILE=$DPM_PROFILE"
              echo "DPM_SNAPSHOT=$DPM_SNAPSHOT"
              echo "ROWS=$(psql -X -A -t -c 'SELECT count(*) FROM accounts' 2>/dev/null)"
              echo "URL_ROWS=$(psql -X -A -t -d "$DATABASE_URL" -c 'SELECT count(*) FROM accounts' 2>/dev/null)"
              echo "PWD=$(pwd)"
              echo "---"
            } >> "$1"
            echo "hook says hello to $PGDATABASE"
            """, to: "hooks/record.sh")
        try harness.write("#!/bin/sh\necho 'reindexing'\necho 'search index is broken' >&2\nexit 3\n", to: "hooks/fail.sh")
    }

    override func tearDown() { harness?.tearDown() }

    private func configure(_ hooks: String) throws {
        let base = String(decoding: try XCTUnwrap(harness.read("dpm.yaml")), as: UTF8.self)
            .components(separatedBy: "\nhooks:")[0]
        try harness.write(base + (base.hasSuffix("\n") ? "" : "\n") + hooks, to: "dpm.yaml")
    }

    /// The runs a hook recorded into `file`: one dictionary of what it saw per run.
    private func runs(_ file: String) -> [[String: String]] {
        let text = String(decoding: harness.read(file) ?? Data(), as: UTF8.self)
        return text.components(separatedBy: "---\n").filter { !$0.isEmpty }.map { block in
            Dictionary(block.split(separator: "\n").map { line -> (String, String) in
                let parts = line.split(separator: "=", maxSplits: 1).map(String.init)
                return (parts[0], parts.count > 1 ? parts[1] : "")
            }, uniquingKeysWith: { $1 })
        }
    }

    func testRestoreRunsEveryHookWithTheFilledDatabaseInItsEnvironment() throws {
        try configure("""
            hooks:
              post_restore:
                - "sh hooks/record.sh restore.log"
                - run: "sh hooks/record.sh per-switch.log"
                  per_switch: true
            """)
        let target = harness.prefix + "_restored"
        let run = harness.dpm("restore", "ug", "--into", target, "--json")
        XCTAssertEqual(run.status, 0, run.stderr)
        XCTAssertNoThrow(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)), "the hooks' output stays off stdout: \(run.stdout)")
        XCTAssertTrue(run.stderr.contains("hook says hello to \(target)"), run.stderr)
        for file in ["restore.log", "per-switch.log"] {
            let seen = try XCTUnwrap(runs(file).first, "restore runs every hook, per_switch ones too")
            XCTAssertEqual(runs(file).count, 1)
            XCTAssertEqual(seen["PGDATABASE"], target)
            XCTAssertTrue(seen["DATABASE_URL"]?.hasPrefix("postgresql://") == true && seen["DATABASE_URL"]?.contains("/\(target)") == true,
                          "\(seen)")
            XCTAssertEqual(seen["ROWS"], accounts, "the hook runs once the rows are restored")
            XCTAssertEqual(seen["URL_ROWS"], accounts, "DATABASE_URL names the filled database")
            XCTAssertEqual(seen["DPM_PROFILE"], "ug")
            XCTAssertEqual(seen["DPM_SNAPSHOT"], snapshotID)
            XCTAssertEqual(seen["PWD"].map { URL(fileURLWithPath: $0).resolvingSymlinksInPath().path },
                           URL(fileURLWithPath: harness.root).resolvingSymlinksInPath().path)
        }
        XCTAssertEqual(harness.dpm("restore", "ug", "--into", harness.prefix + "_quiet", "--no-hooks").status, 0)
        XCTAssertEqual(runs("restore.log").count, 1, "--no-hooks skips them")
    }

    func testUseRunsAHookWhenTheTemplateIsBuiltAndPerSwitchOnesOnEverySwitchAndAttach() throws {
        try configure("""
            hooks:
              post_restore:
                - sh hooks/record.sh template.log
                - {run: "sh hooks/record.sh switch.log", per_switch: true}
            """)
        let skipped = harness.dpm("use", "ug", "--no-hooks")
        XCTAssertEqual(skipped.status, 0, skipped.stderr)
        XCTAssertTrue(runs("template.log").isEmpty && runs("switch.log").isEmpty, "--no-hooks")
        XCTAssertEqual(harness.dpm("use", "clean-db", "--no-hooks").status, 0)

        // The template built without the hook lacks its work: the next use with hooks builds it again.
        let first = harness.dpm("use", "ug", "--json")
        XCTAssertEqual(first.status, 0, first.stderr)
        XCTAssertEqual(try JSONDecoder().decode(SwitchResult.self, from: Data(first.stdout.utf8)).method, .restore, first.stderr)
        XCTAssertTrue(first.stderr.contains("was built without dpm.yaml's post_restore hooks; building it again from the store with them"), first.stderr)
        let built = try XCTUnwrap(runs("template.log").first)
        XCTAssertEqual(runs("template.log").count, 1)
        XCTAssertTrue(built["PGDATABASE"]?.contains("__dpm_template_") == true, "the template being built: \(built)")
        XCTAssertEqual(built["ROWS"], accounts)
        XCTAssertEqual(built["URL_ROWS"], accounts)
        XCTAssertEqual(built["DPM_SNAPSHOT"], snapshotID)
        XCTAssertEqual(runs("switch.log").map { $0["PGDATABASE"] }, [harness.database])
        XCTAssertEqual(runs("switch.log").first?["ROWS"], accounts)

        XCTAssertEqual(harness.dpm("use", "clean-db", "--no-hooks").status, 0)
        let again = harness.dpm("use", "ug", "--json")
        XCTAssertEqual(again.status, 0, again.stderr)
        // The untouched copy stashed by the switch to clean-db became the template's spare: a rename.
        XCTAssertEqual(try JSONDecoder().decode(SwitchResult.self, from: Data(again.stdout.utf8)).method, .spare)
        XCTAssertEqual(runs("template.log").count, 1, "the next switch takes a copy of the template: its hook does not run again")
        XCTAssertEqual(runs("switch.log").map { $0["PGDATABASE"] }, [harness.database, harness.database], "per_switch runs every switch")

        let attached = harness.dpm("attach", "ug", "--as", harness.prefix + "_attached", "--json")
        XCTAssertEqual(attached.status, 0, attached.stderr)
        XCTAssertNoThrow(try JSONSerialization.jsonObject(with: Data(attached.stdout.utf8)), attached.stdout)
        XCTAssertEqual(runs("template.log").count, 1)
        XCTAssertEqual(runs("switch.log").last?["PGDATABASE"], harness.prefix + "_attached")
        XCTAssertEqual(runs("switch.log").last?["ROWS"], accounts)
    }

    func testAFailingHookIsReportedAndTheFilledDatabaseStays() throws {
        try configure("""
            hooks:
              post_restore: ["sh hooks/fail.sh", "sh hooks/record.sh after.log"]
            """)
        let target = harness.prefix + "_restored"
        let run = harness.dpm("restore", "ug", "--into", target)
        XCTAssertNotEqual(run.status, 0)
        XCTAssertTrue(run.stderr.contains("The post_restore hook \"sh hooks/fail.sh\" failed with exit code 3 on \(target) "
                                          + "(its last lines: reindexing / search index is broken); \(target) stays, filled with ug \(snapshotID), "
                                          + "without the hook's work (the hook after it did not run)."), run.stderr)
        XCTAssertTrue(run.stdout.contains("Restored ug snapshot \(snapshotID) into \(target)"), "the summary still comes: \(run.stdout)")
        XCTAssertEqual(try harness.psql("SELECT count(*) FROM accounts", in: target), accounts)
        XCTAssertTrue(runs("after.log").isEmpty)

        // At a template's build, the template is not kept and nothing is switched.
        let before = try harness.contentDigest()
        let use = harness.dpm("use", "ug")
        XCTAssertNotEqual(use.status, 0)
        XCTAssertTrue(use.stderr.contains("The post_restore hook \"sh hooks/fail.sh\" failed with exit code 3 while building the template of ug \(snapshotID) "
                                          + "(its last lines: reindexing / search index is broken); the template was not kept, so nothing was switched or attached"),
                      use.stderr)
        XCTAssertEqual(try harness.contentDigest(), before, "the working database was not switched")
        XCTAssertEqual(try harness.databases().filter { $0.contains("__tpl_") || $0.contains("__dpm_") }, [], "no template, no leftover")
        let skipped = harness.dpm("use", "ug", "--no-hooks")
        XCTAssertEqual(skipped.status, 0, skipped.stderr)

        // A per_switch hook fails after the switch: the working database is switched and stays.
        try configure("hooks:\n  post_restore:\n    - {run: sh hooks/fail.sh, per_switch: true}\n")
        XCTAssertEqual(harness.dpm("use", "clean-db", "--no-hooks").status, 0)
        let switched = harness.dpm("use", "ug", "--json")
        XCTAssertNotEqual(switched.status, 0)
        XCTAssertTrue(switched.stderr.contains("failed with exit code 3 on \(harness.database) (its last lines: reindexing / search index is broken); "
                                               + "\(harness.database) stays, filled with ug \(snapshotID), without the hook's work."), switched.stderr)
        XCTAssertEqual(try JSONDecoder().decode(SwitchResult.self, from: Data(switched.stdout.utf8)).profile, "ug", "the summary comes first")
        XCTAssertEqual(try harness.psql("SELECT count(*) FROM accounts"), accounts)
    }

    func testAHookCommandThatDoesNotExist() throws {
        try configure("hooks:\n  post_restore: no-such-hook-command --now\n")
        let target = harness.prefix + "_restored"
        let run = harness.dpm("restore", "ug", "--into", target)
        XCTAssertNotEqual(run.status, 0)
        XCTAssertTrue(run.stderr.contains("The post_restore hook \"no-such-hook-command --now\" failed with exit code 127 on \(target) (its last lines: "),
                      run.stderr)
        XCTAssertTrue(run.stderr.contains("not found"), run.stderr)
        XCTAssertEqual(try harness.psql("SELECT count(*) FROM accounts", in: target), accounts)
    }

    func testBadHooksSettingsAreRefusedInOneSentence() throws {
        // The line each refusal names, counted from the hooks: line (1), and its words.
        let cases: [(yaml: String, line: Int, text: String)] = [
            ("hooks:\n  post_restore:\n    - run: sh hooks/record.sh x.log\n      per_swich: true\n",
             4, "unknown setting \"hooks.post_restore.per_swich\" (known: run, per_switch)."),
            ("hooks:\n  post_restor: [\"true\"]\n", 2, "unknown setting \"hooks.post_restor\" (known: post_restore)."),
            ("hooks:\n  post_restore:\n    - run: \"true\"\n      per_switch: sometimes\n", 4, "hooks.post_restore per_switch must be true or false."),
            ("hooks:\n  post_restore:\n    - per_switch: true\n", 3, "a hooks.post_restore entry written as a mapping needs run, the command line."),
            ("hooks:\n  post_restore:\n    - \"\"\n", 3, "a hooks.post_restore entry must be a command line"),
            ("hooks: bin/rails search:reindex\n", 1, "\"hooks\" must be a mapping with post_restore"),
        ]
        for (yaml, line, text) in cases {
            try configure(yaml)
            let lines = String(decoding: try XCTUnwrap(harness.read("dpm.yaml")), as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false)
            let hooksLine = try XCTUnwrap(lines.firstIndex { $0.hasPrefix("hooks:") }) + 1
            let run = harness.dpm("restore", "ug", "--into", harness.prefix + "_never")
            XCTAssertNotEqual(run.status, 0, yaml)
            let message = run.stderr.trimmingCharacters(in: .whitespacesAndNewlines)
            XCTAssertTrue(message.contains("dpm.yaml line \(hooksLine + line - 1): \(text)"), "\(yaml): \(message)")
            XCTAssertEqual(message.split(separator: "\n").count, 1, message)
            XCTAssertFalse(try harness.databaseExists(harness.prefix + "_never"))
        }
    }
}
