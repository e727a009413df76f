@testable import DatasetKit
import XCTest

/// The header of pg_dump's archives (`WriteHead` in pg_backup_archiver.c) and the first lines
/// of its plain dumps, read as dpm records them for `upload --from-dump`.
final class DumpHeaderTests: XCTestCase {
    /// `WriteInt`: a sign byte, then `size` bytes, least significant first.
    private func int(_ value: Int, size: Int = 4) -> [UInt8] {
        [value < 0 ? 1 : 0] + (0..<size).map { UInt8((abs(value) >> (8 * $0)) & 0xFF) }
    }

    private func string(_ text: String?) -> [UInt8] {
        guard let text else { return int(-1) }
        return int(text.utf8.count) + Array(text.utf8)
    }

    /// 2026-12-02 04:38:52 as `struct tm` (month from 0, year from 1900), then the isdst flag.
    private var time: [UInt8] { [52, 38, 4, 2, 11, 126, 0].flatMap { int($0) } }

    /// A PostgreSQL 15 custom-format header (archive 1.14: a zlib level, -1 for the default).
    private func version14(format: UInt8 = 1, level: Int = -1) -> [UInt8] {
        Array("PGDMP".utf8) + [1, 14, 0, 4, 8, format] + int(level) + time + string("shop")
            + string("15.18 (Debian 15.18-0+deb12u1)") + string("15.18 (Debian 15.18-0+deb12u1)")
    }

    func testACustomHeaderOfPostgreSQL15() throws {
        let header = try XCTUnwrap(ArchiveHeader.parse(version14() + [0xAA, 0xBB]))
        XCTAssertEqual(header, ArchiveHeader(version: "1.14.0", format: .custom, compression: "gzip", dumpedAt: "2026-12-02 04:38:52",
                                             database: "shop", serverVersion: "15.18 (Debian 15.18-0+deb12u1)",
                                             pgDumpVersion: "15.18 (Debian 15.18-0+deb12u1)"))
        XCTAssertEqual(ArchiveHeader.parse(version14(level: 0))?.compression, "none")
    }

    func testADirectoryDumpsTocCarriesTheTarFormatCode() {
        XCTAssertEqual(ArchiveHeader.parse(version14(format: 3))?.format, .directory)
        XCTAssertEqual(ArchiveHeader.parse(version14(format: 5))?.format, .directory)
        XCTAssertNil(ArchiveHeader.parse(version14(format: 2)), "no such format")
    }

    func testArchive115NamesTheCompressionAlgorithmInOneByte() throws {
        // PostgreSQL 16 and later: the algorithm (none, gzip, lz4, zstd) instead of a level.
        for (code, name) in [(0, "none"), (1, "gzip"), (2, "lz4"), (3, "zstd")] {
            let bytes = Array("PGDMP".utf8) + [1, 16, 0, 4, 8, 1, UInt8(code)] + time + string("shop") + string("17.2") + string("17.2")
            let header = try XCTUnwrap(ArchiveHeader.parse(bytes))
            XCTAssertEqual(header.version, "1.16.0")
            XCTAssertEqual(header.compression, name)
            XCTAssertEqual(header.pgDumpVersion, "17.2")
        }
    }

    func testEightByteIntegersAndAMissingDatabaseName() throws {
        let bytes = Array("PGDMP".utf8) + [1, 14, 0, 8, 8, 1] + int(0, size: 8) + [52, 38, 4, 2, 11, 126, 0].flatMap { int($0, size: 8) }
            + int(-1, size: 8) + int(4, size: 8) + Array("15.1".utf8) + int(4, size: 8) + Array("15.1".utf8)
        let header = try XCTUnwrap(ArchiveHeader.parse(bytes))
        XCTAssertEqual(header.dumpedAt, "2026-12-02 04:38:52")
        XCTAssertNil(header.database)
        XCTAssertEqual(header.serverVersion, "15.1")
    }

    func testAnOldArchiveWithoutVersionStrings() throws {
        // 1.9 (PostgreSQL 8.1): a level, the time and the database, no versions yet.
        let header = try XCTUnwrap(ArchiveHeader.parse(Array("PGDMP".utf8) + [1, 9, 0, 4, 8, 1] + int(6) + time + string("old")))
        XCTAssertEqual(header.version, "1.9.0")
        XCTAssertEqual(header.database, "old")
        XCTAssertNil(header.serverVersion)
    }

    func testCutShortOrForeignBytesAreNoHeader() {
        let full = version14()
        for length in [0, 3, 5, 8, 12, 30, full.count - 1] {
            XCTAssertNil(ArchiveHeader.parse(Array(full.prefix(length))), "cut at \(length)")
        }
        XCTAssertNil(ArchiveHeader.parse(Array("PGDMQ".utf8) + full.dropFirst(5)))
        XCTAssertNil(ArchiveHeader.parse(Array(#"{"PGDMP": 1}"#.utf8)))
        XCTAssertNotNil(ArchiveHeader.parse(full))
    }

    func testThePlainDumpHeader() throws {
        let text = """
        --
        -- PostgreSQL database dump
        --

        \\restrict kBRT96t5kYjVfymbCcbwEET8LafhxYslgXuNKfMgHph1rTsEGuRh3y2VDM8ek1a

        -- Dumped from database version 15.18 (Debian 15.18-0+deb12u1)
        -- Dumped by pg_dump version 15.18 (Debian 15.18-0+deb12u1)

        SET statement_timeout = 0;
        SET client_encoding = 'LATIN1';
        SET standard_conforming_strings = on;

        COPY public.t (id, name) FROM stdin;
        1\tCREATE DATABASE in the data
        \\.
        """
        XCTAssertEqual(PlainDumpHeader.parse(text), PlainDumpHeader(serverVersion: "15.18 (Debian 15.18-0+deb12u1)",
                                                                    pgDumpVersion: "15.18 (Debian 15.18-0+deb12u1)",
                                                                    encoding: "LATIN1", createsDatabase: false))
    }

    func testAPlainDumpMadeWithCreate() throws {
        let text = "--\n-- PostgreSQL database dump\n--\n\nSET client_encoding = 'UTF8';\n\nCREATE DATABASE shop WITH TEMPLATE = template0 ENCODING = 'UTF8';\n\n\\connect shop\n"
        XCTAssertEqual(PlainDumpHeader.parse(text)?.createsDatabase, true)
    }

    func testTextThatIsNoPlainDump() {
        XCTAssertNil(PlainDumpHeader.parse("--\n-- PostgreSQL database cluster dump\n--\n"))
        XCTAssertNil(PlainDumpHeader.parse("SELECT 1;\n"))
        XCTAssertNil(PlainDumpHeader.parse(""))
    }

    func testCompressionIsToldByTheMagicNumber() {
        XCTAssertEqual(StreamCompression.detect([0x1F, 0x8B, 0x08, 0x00]), .gzip)
        XCTAssertEqual(StreamCompression.detect([0x28, 0xB5, 0x2F, 0xFD, 0x04]), .zstd)
        XCTAssertNil(StreamCompression.detect(Array("PGDMP".utf8)))
        XCTAssertNil(StreamCompression.detect([0x1F]))
    }
}
