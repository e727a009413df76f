@testable import DatasetKit
import XCTest

/// Rule strings, rule sets from YAML, their digest, and the key.
final class SanitizeRuleTests: XCTestCase {
    let birthDate = QualifiedColumn(parsing: "public.users.birth_date")!

    func testEveryRuleParsesAndPrintsAsWritten() throws {
        let texts = [
            "null", "value:x", "value:", "value:a:b", "keep", "hash", "email", "name", "first_name", "last_name", "phone", "ip",
            "uuid", "text", "date-shift:30", "int-noise:10", "mask:4", "mask:0",
        ]
        for text in texts {
            XCTAssertEqual(try SanitizeRule(parsing: text, for: birthDate).description, text)
        }
        XCTAssertEqual(try SanitizeRule(parsing: "value:a:b", for: birthDate), .value("a:b"))
        XCTAssertEqual(try SanitizeRule(parsing: "date-shift:30", for: birthDate), .dateShift(days: 30))
    }

    func testBadRulesAreOneSentenceNamingTheColumn() {
        let cases = [
            ("date-shift:x", "The sanitize rule \"date-shift:x\" for public.users.birth_date needs a whole number of days (date-shift:30)."),
            ("date-shift", "The sanitize rule \"date-shift\" for public.users.birth_date needs a whole number of days from 1 to 36500 (date-shift:30)."),
            ("date-shift:0", "The sanitize rule \"date-shift:0\" for public.users.birth_date needs a whole number of days from 1 to 36500 (date-shift:30)."),
            ("int-noise:200", "The sanitize rule \"int-noise:200\" for public.users.birth_date needs a whole percentage from 1 to 100 (int-noise:10)."),
            ("mask:-1", "The sanitize rule \"mask:-1\" for public.users.birth_date needs the number of last characters to keep (mask:4)."),
            ("value", "The sanitize rule \"value\" for public.users.birth_date needs its text after a colon (value:TEXT)."),
            ("email:x", "The sanitize rule \"email:x\" for public.users.birth_date takes no parameter (write \"email\")."),
            ("scramble", "The sanitize rule \"scramble\" for public.users.birth_date is not a rule dpm knows (known: null, value:TEXT, keep, hash, email, name, first_name, last_name, phone, ip, uuid, text, date-shift:DAYS, int-noise:PCT, mask:KEEP_LAST_N, json: {path: rule})."),
            ("", "The sanitize rule \"\" for public.users.birth_date is not a rule dpm knows (known: null, value:TEXT, keep, hash, email, name, first_name, last_name, phone, ip, uuid, text, date-shift:DAYS, int-noise:PCT, mask:KEEP_LAST_N, json: {path: rule})."),
        ]
        for (text, message) in cases {
            XCTAssertThrowsError(try SanitizeRule(parsing: text, for: birthDate)) { error in
                XCTAssertEqual(error as? DPMError, .invalidInput(message))
            }
        }
    }

    func testQualifiedNames() {
        XCTAssertEqual(QualifiedColumn(parsing: "public.users.email")?.description, "public.users.email")
        XCTAssertEqual(QualifiedColumn(parsing: "app.Users.Émail_2$")?.column, "Émail_2$")
        for bad in ["users.email", "a.b.c.d", "public..email", "public.users.e mail", "public.users.\"x\"", "public.1users.email", ""] {
            XCTAssertNil(QualifiedColumn(parsing: bad), bad)
        }
        XCTAssertEqual(QualifiedTable(parsing: "public.sessions"), QualifiedTable(schema: "public", table: "sessions"))
        XCTAssertNil(QualifiedTable(parsing: "sessions"))
    }

    let issueExample = """
        columns:
          public.users.email: email
          public.users.full_name: name
          public.users.password_digest: "value:$2a$12$invalid"
          public.users.notes: "null"
          public.users.nickname: null
          public.users.birth_date: "date-shift:30"
          public.users.country: keep
        truncate: [public.sessions, public.password_resets]
        scripts: [db/sanitize/purge.sql]
        """

    func testRulesFromYAML() throws {
        let rules = try SanitizeRules(yaml: issueExample, displayName: "profile.yaml")
        XCTAssertEqual(rules.columns.count, 7)
        XCTAssertEqual(rules.columns[QualifiedColumn(parsing: "public.users.notes")!], .null)
        XCTAssertEqual(rules.columns[QualifiedColumn(parsing: "public.users.nickname")!], .null)
        XCTAssertEqual(rules.columns[QualifiedColumn(parsing: "public.users.password_digest")!], .value("$2a$12$invalid"))
        XCTAssertEqual(rules.truncate, [QualifiedTable(parsing: "public.sessions")!, QualifiedTable(parsing: "public.password_resets")!])
        XCTAssertEqual(rules.scripts, ["db/sanitize/purge.sql"])
        XCTAssertEqual(rules.rules(of: QualifiedTable(parsing: "public.users")!)["email"], .email)
        XCTAssertTrue(rules.truncates(QualifiedTable(parsing: "public.sessions")!))
        XCTAssertEqual(rules.tables.map(\.description).sorted(), ["public.password_resets", "public.sessions", "public.users"])
        XCTAssertFalse(rules.isEmpty)
        XCTAssertTrue(try SanitizeRules(yaml: "", displayName: "p").isEmpty)
    }

    func testDigestIgnoresOrderAndSeesEveryChange() throws {
        let rules = try SanitizeRules(yaml: issueExample, displayName: "p")
        let reordered = try SanitizeRules(yaml: """
            scripts: [db/sanitize/purge.sql]
            truncate: [public.password_resets, public.sessions]
            columns:
              public.users.country: keep
              public.users.birth_date: "date-shift:30"
              public.users.nickname: null
              public.users.notes: "null"
              public.users.password_digest: "value:$2a$12$invalid"
              public.users.full_name: name
              public.users.email: email
            """, displayName: "p")
        XCTAssertEqual(rules.digest, reordered.digest)
        XCTAssertTrue(SHA256Hex.isValid(rules.digest))
        var changed = rules
        changed.columns[QualifiedColumn(parsing: "public.users.birth_date")!] = .dateShift(days: 31)
        XCTAssertNotEqual(changed.digest, rules.digest)
        XCTAssertEqual(SanitizeRules.algorithmVersion, 1)
    }

    func testBadRuleSetsAreRefusedWithTheirLine() {
        let cases = [
            ("colums:\n  public.users.email: email\n", "p.yaml line 1: unknown setting \"sanitize.colums\" (known: columns, leak_check_skip, scripts, sensitive, truncate)."),
            ("columns:\n  users.email: email\n", "p.yaml line 2: \"users.email\" in sanitize.columns is not schema.table.column (three plain names joined by dots, e.g. public.users.email; names that need quotes are not supported yet)."),
            ("columns: [a]\n", "p.yaml line 1: sanitize.columns must be a mapping of schema.table.column: rule."),
            ("columns:\n  public.users.email: [email]\n", "p.yaml line 2: the rule for public.users.email must be a text such as email or \"date-shift:30\"."),
            ("truncate: [sessions]\n", "p.yaml line 1: \"sessions\" in sanitize.truncate is not schema.table (two plain names joined by a dot, e.g. public.sessions)."),
            ("scripts: {a: b}\n", "p.yaml line 1: sanitize.scripts must be a list of SQL file paths."),
            ("- a\n", "p.yaml line 1: \"sanitize\" must be a mapping of columns, truncate, scripts, sensitive and leak_check_skip."),
            ("columns:\n  public.users.birth_date: date-shift:x\n", "The sanitize rule \"date-shift:x\" for public.users.birth_date needs a whole number of days (date-shift:30)."),
        ]
        for (yaml, message) in cases {
            XCTAssertThrowsError(try SanitizeRules(yaml: yaml, displayName: "p.yaml"), yaml) { error in
                XCTAssertEqual((error as? DPMError)?.message, message)
                XCTAssertEqual((error as? DPMError)?.kind, .invalidInput)
            }
        }
    }

    func testKeyNeedsSixteenCharactersAndShowsOnlyAFingerprint() throws {
        XCTAssertThrowsError(try SanitizeKey(secret: "short")) { error in
            XCTAssertEqual(error as? DPMError, .invalidInput(
                "DPM_SANITIZE_KEY must be at least 16 characters long (it has 5); use a long random secret, e.g. the output of `openssl rand -hex 32`."
            ))
        }
        XCTAssertThrowsError(try SanitizeKey(settings: SanitizeSettings())) { error in
            XCTAssertEqual((error as? DPMError)?.kind, .invalidInput)
            XCTAssertTrue((error as? DPMError)?.message.contains("set DPM_SANITIZE_KEY") == true)
        }
        let key = try SanitizeKey(settings: SanitizeSettings(key: "0123456789abcdef"))
        XCTAssertEqual(key.fingerprint.count, 16)
        XCTAssertEqual(key.fingerprint, try SanitizeKey(secret: "0123456789abcdef").fingerprint)
        XCTAssertNotEqual(key.fingerprint, try SanitizeKey(secret: "0123456789abcdeg").fingerprint)
        XCTAssertFalse(key.fingerprint.contains("0123456789"))
        // The fingerprint is HMAC-SHA256(key, constant): fixed across machines and versions.
        XCTAssertEqual(try SanitizeKey(secret: "test-key-of-sixteen").fingerprint, Self.fingerprintOfTestKey)
    }

    static let fingerprintOfTestKey = "26540f860220120e"
}

/// Whether a rule's output fits a column's type.
final class SanitizeRuleTypeTests: XCTestCase {
    let column = QualifiedColumn(parsing: "public.users.id")!

    func testRulesFitTheirTypes() throws {
        let fits: [(SanitizeRule, String)] = [
            (.email, "character varying(255)"), (.email, "text"), (.hash, "character(64)"), (.uuid, "uuid"), (.uuid, "text"),
            (.ip, "inet"), (.ip, "cidr"), (.dateShift(days: 3), "date"), (.dateShift(days: 3), "timestamp(3) with time zone"),
            (.dateShift(days: 3), "timestamp without time zone"), (.intNoise(percent: 5), "numeric(10,2)"), (.intNoise(percent: 5), "bigint"),
            (.intNoise(percent: 5), "double precision"), (.null, "integer[]"), (.keep, "jsonb"), (.value("x"), "integer"), (.mask(keepLast: 4), "citext"),
            (.phone, "character varying(20)"), (.name, "character varying(40)"),
        ]
        for (rule, type) in fits { XCTAssertNoThrow(try rule.checkFits(column, type: type), "\(rule) \(type)") }
    }

    func testRulesThatCannotFitAreOneSentence() {
        XCTAssertThrowsError(try SanitizeRule.email.checkFits(column, type: "integer")) {
            XCTAssertEqual($0 as? DPMError, .invalidInput(
                "The sanitize rule \"email\" for public.users.id cannot fit its type integer (email writes text, for text, varchar and char columns)."
            ))
        }
        XCTAssertThrowsError(try SanitizeRule.hash.checkFits(column, type: "character varying(40)")) {
            XCTAssertEqual($0 as? DPMError, .invalidInput(
                "The sanitize rule \"hash\" for public.users.id writes up to 64 characters, more than its type character varying(40) holds."
            ))
        }
        for (rule, type) in [(SanitizeRule.intNoise(percent: 5), "text"), (.dateShift(days: 3), "integer"), (.uuid, "bytea"),
                             (.ip, "macaddr"), (.text, "text[]"), (.email, "jsonb")] {
            XCTAssertThrowsError(try rule.checkFits(column, type: type), "\(rule) \(type)")
        }
    }

    func testLongestOutputs() {
        XCTAssertEqual(SanitizeRule.hash.longestOutput, 64)
        XCTAssertEqual(SanitizeRule.uuid.longestOutput, 36)
        XCTAssertEqual(SanitizeRule.value("日本").longestOutput, 2)
        XCTAssertNil(SanitizeRule.text.longestOutput)
        XCTAssertLessThanOrEqual(SanitizeRule.email.longestOutput ?? 0, 64)
    }
}
