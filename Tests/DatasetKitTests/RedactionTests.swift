import DatasetKit
import XCTest

final class RedactionTests: XCTestCase {
    func testURLPasswordsAreFoundHoweverTheURLIsWritten() {
        XCTAssertEqual(Redaction.redacted("postgresql://u:pw@h1:5432,h2:5432/db"), "postgresql://u:***@h1:5432,h2:5432/db")
        XCTAssertEqual(Redaction.redacted("POSTGRESQL://u:pw@h/db"), "POSTGRESQL://u:***@h/db")
        XCTAssertEqual(Redaction.redacted("postgresql://u:pw@[::1/db"), "postgresql://u:***@[::1/db")
        XCTAssertEqual(Redaction.redacted("postgresql://u:p/a@ss@h/db"), "postgresql://u:***@h/db", "a raw / and @ in the password")
        XCTAssertEqual(Redaction.redacted("postgresql://u:p%40w@h/db"), "postgresql://u:***@h/db")
        XCTAssertEqual(Redaction.redacted("postgresql://u@h/db"), "postgresql://u@h/db")
        XCTAssertEqual(Redaction.redacted("postgresql://h/db?sslmode=require&password=pw&sslpassword=kp"),
                       "postgresql://h/db?sslmode=require&password=***&sslpassword=***")
    }

    func testKeywordValuesAreFound() {
        XCTAssertEqual(Redaction.redacted("host=h password=pw dbname=d"), "host=h password=*** dbname=d")
        XCTAssertEqual(Redaction.redacted("host=h PASSWORD = 'a b\\'c' dbname=d"), "host=h PASSWORD = *** dbname=d")
        XCTAssertEqual(Redaction.redacted("host=h sslpassword=abc def"), "host=h sslpassword=***", "an unquoted space stays secret")
        XCTAssertEqual(Redaction.redacted("host=h options='-c x=1'"), "host=h options='-c x=1'")
    }

    func testScrubHidesTheStringAndTheTokensAParserQuotes() {
        let uri = "postgresql://u:pw@[::1/db"
        XCTAssertEqual(Redaction.scrub("end of string reached when looking for matching \"]\" in IPv6 host address in URI: \"\(uri)\"", secretsOf: uri),
                       "end of string reached when looking for matching \"]\" in IPv6 host address in URI: \"postgresql://u:***@[::1/db\"")
        XCTAssertEqual(Redaction.scrub("invalid percent-encoded token: \"p%zzw\"", secretsOf: "postgresql://u:p%zzw@h/db"),
                       "invalid percent-encoded token: \"***\"")
        XCTAssertEqual(Redaction.scrub("missing \"=\" after \"def\" in connection info string", secretsOf: "host=h password=abc def"),
                       "missing \"=\" after \"***\" in connection info string")
        XCTAssertEqual(Redaction.scrub("invalid connection option \"x\"", secretsOf: "host=h x=1"), "invalid connection option \"x\"")
    }

    func testUserInfoOfEndpoints() {
        XCTAssertTrue(Redaction.hasUserInfo("http://user:pass@127.0.0.1:9000"))
        XCTAssertTrue(Redaction.hasUserInfo("https://user@s3.example"))
        XCTAssertFalse(Redaction.hasUserInfo("http://127.0.0.1:9000"))
        XCTAssertFalse(Redaction.hasUserInfo("http://127.0.0.1:9000/prefix"))
        XCTAssertEqual(Redaction.withoutUserInfo("http://user:p@ss@127.0.0.1:9000/x"), "http://***@127.0.0.1:9000/x")
        XCTAssertEqual(Redaction.withoutUserInfo("s3://bucket/prefix"), "s3://bucket/prefix")
    }
}
