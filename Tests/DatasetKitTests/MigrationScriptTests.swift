@testable import DatasetKit
import Foundation
import XCTest

final class MigrationScriptTests: XCTestCase {
    func testAPlainFileRunsInATransaction() {
        let script = MigrationScript("""
            CREATE TABLE labels (id serial PRIMARY KEY, name text);
            -- BEGIN; in a comment
            /* COMMIT; /* nested */ still a comment */
            INSERT INTO labels (name) VALUES ('it''s; BEGIN'), (E'\\'; COMMIT;');
            CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $body$
            BEGIN
              NEW.name := 'x;'; RETURN NEW;
            END
            $body$;
            CREATE FUNCTION one() RETURNS int LANGUAGE sql
            BEGIN ATOMIC
              SELECT 1;
              SELECT CASE WHEN true THEN 1 END;
            END;
            CREATE RULE r AS ON INSERT TO labels DO ALSO (NOTIFY a; NOTIFY b);
            SELECT "BEGIN;" FROM labels
            """)
        XCTAssertEqual(script.mode, .transaction)
        XCTAssertEqual(script.statements.map(\.startLine), [1, 4, 5, 10, 15, 16])
        XCTAssertEqual(script.statements.map(\.endLine), [1, 4, 9, 14, 15, 16])
        XCTAssertEqual(script.statements[1].summary, "INSERT INTO labels (name) VALUES ('it''s; BEGIN'), (E'\\'; COMMIT;')")
        XCTAssertNil(script.unclosedBegin)

        let columns = MigrationScript("""
            CREATE TABLE events (begin timestamptz, "end" timestamptz);
            CREATE VIEW spans AS SELECT CASE WHEN begin IS NULL THEN 0 ELSE 1 END AS open FROM events;
            CREATE OR REPLACE PROCEDURE tidy() LANGUAGE sql BEGIN ATOMIC DELETE FROM events; END;
            """)
        XCTAssertEqual(columns.statements.map(\.startLine), [1, 2, 3], "a column named begin opens no block")
        XCTAssertEqual(columns.mode, .transaction)
    }

    func testTheMarkerAndOwnTransactionsRunWithoutOne() {
        XCTAssertEqual(MigrationScript("-- dpm:no-transaction\nCREATE INDEX CONCURRENTLY i ON t (c);\n").mode,
                       .noTransaction(reason: "it has the line -- dpm:no-transaction"))
        XCTAssertEqual(MigrationScript("SELECT '\n-- dpm:no-transaction\n';\n").mode, .transaction, "inside a string it is no marker")
        let own = MigrationScript("""
            begin;
            CREATE TABLE a (id int);
            commit;
            CREATE INDEX a_id
              ON a (id);
            START TRANSACTION;
            SAVEPOINT s;
            ROLLBACK TO SAVEPOINT s;
            END;
            """)
        XCTAssertEqual(own.mode, .noTransaction(reason: "it controls its own transactions: begin at line 1"))
        XCTAssertEqual(own.statement(endingAt: 5)?.statement.summary, "CREATE INDEX a_id ON a (id)")
        XCTAssertEqual(own.firstUndoneLine(failing: 3), 4, "after a COMMIT, the failing statement is the first undone")
        XCTAssertEqual(own.firstUndoneLine(failing: 7), 6, "inside a block, its BEGIN is")
        XCTAssertEqual(own.firstUndoneLine(failing: 1), 1)
        XCTAssertEqual(MigrationScript("BEGIN;\nCREATE TABLE a (id int);\n").unclosedBegin?.startLine, 1)
        XCTAssertEqual(MigrationScript("COMMIT PREPARED 'x';").mode, .noTransaction(reason: "it controls its own transactions: COMMIT PREPARED 'x' at line 1"))
        XCTAssertNil(MigrationScript("COMMIT PREPARED 'x';").unclosedBegin)
    }

    func testTheSchemaMarkerSplitsKeepingLineNumbers() throws {
        let file = Data("CREATE TABLE a (id int);\n\n-- dpm:post-data\nALTER TABLE a ADD PRIMARY KEY (id);\n".utf8)
        let parts = try XCTUnwrap(CleanSchemaLayout.split(file, file: "schema.sql"))
        XCTAssertEqual(String(decoding: parts.preData, as: UTF8.self), "CREATE TABLE a (id int);\n\n")
        XCTAssertEqual(String(decoding: parts.postData, as: UTF8.self), "\n\n\nALTER TABLE a ADD PRIMARY KEY (id);\n")
        XCTAssertNil(try CleanSchemaLayout.split(Data("CREATE TABLE a (id int);\n-- dpm:post-data is mentioned\n".utf8), file: "schema.sql"))
        XCTAssertThrowsError(try CleanSchemaLayout.split(Data("-- dpm:post-data\n-- dpm:post-data\n".utf8), file: "schema.sql"))
    }

    func testASchemaDumpSplitsAtItsFirstPostDataEntry() {
        let dump = """
            --
            -- PostgreSQL database dump
            --

            SET check_function_bodies = false;
            SELECT pg_catalog.set_config('search_path', '', false);

            --
            -- Name: users; Type: TABLE; Schema: public; Owner: -
            --

            CREATE TABLE public.users (id integer NOT NULL);

            --
            -- Name: users users_pkey; Type: CONSTRAINT; Schema: public; Owner: -
            --

            ALTER TABLE ONLY public.users ADD CONSTRAINT users_pkey PRIMARY KEY (id);

            """
        let parts = CleanSchemaLayout.sections(ofSchemaDump: dump)
        XCTAssertTrue(parts.preData.hasSuffix("CREATE TABLE public.users (id integer NOT NULL);\n"), parts.preData)
        XCTAssertTrue(parts.postData.hasPrefix("--\n-- PostgreSQL database dump\n--\n\nSET check_function_bodies = false;"), parts.postData)
        XCTAssertTrue(parts.postData.hasSuffix("-- Name: users users_pkey; Type: CONSTRAINT; Schema: public; Owner: -\n--\n\nALTER TABLE ONLY public.users ADD CONSTRAINT users_pkey PRIMARY KEY (id);\n"), parts.postData)
        XCTAssertFalse(parts.postData.contains("CREATE TABLE"))
    }
}
