import Foundation

/// The header pg_dump writes at the start of a custom-format file and of a directory dump's
/// toc.dat (`WriteHead` in PostgreSQL's src/bin/pg_dump/pg_backup_archiver.c): the magic
/// "PGDMP", the archive version, the sizes of integers and offsets, the format, the
/// compression, the time of the dump, the database's name and the two version strings.
public struct ArchiveHeader: Sendable, Equatable {
    public enum Format: Sendable, Equatable {
        case custom
        /// A directory dump's toc.dat (also the toc.dat inside a tar-format dump).
        case directory
    }

    /// "1.14.0": the archive format's version, which pg_restore must know.
    public var version: String
    public var format: Format
    /// How pg_dump compressed the data inside: "none", "gzip", "lz4" or "zstd".
    public var compression: String
    /// When the dump started, as the clock of the machine that made it showed it ("2026-12-02 04:38:52", no zone).
    public var dumpedAt: String?
    public var database: String?
    /// The version of the server that was dumped, and of pg_dump ("15.18 (Debian 15.18-0+deb12u1)").
    public var serverVersion: String?
    public var pgDumpVersion: String?

    public static let magic = Array("PGDMP".utf8)

    /// Reads the header from the first bytes of an archive (a few hundred are enough);
    /// nil when they do not start with the magic or end before the header does.
    public static func parse(_ bytes: [UInt8]) -> ArchiveHeader? {
        try? read(from: ArchiveReader(source: DataReader(Data(bytes)))).header
    }

    /// Reads `WriteHead`'s fields in order, leaving `reader` at the table of contents and
    /// knowing the archive's version and sizes; also where the format code and the
    /// compression field lie, for writing the header out with other ones.
    static func read(from reader: ArchiveReader) throws -> (header: ArchiveHeader, formatByte: Int, compressionField: Range<Int>) {
        for expected in magic {
            guard try reader.nextByte() == expected else {
                throw DPMError.invalidInput("it does not start with PGDMP, so it is not a pg_dump archive")
            }
        }
        let major = Int(try reader.byte()), minor = Int(try reader.byte())
        let revision = major > 1 || (major == 1 && minor > 0) ? Int(try reader.byte()) : 0
        let version = ArchiveVersion(major: major, minor: minor, revision: revision)
        reader.version = version
        reader.intSize = Int(try reader.byte())
        guard (1...32).contains(reader.intSize) else {
            throw DPMError.corrupt("its header gives integers of \(reader.intSize) bytes, so it is damaged")
        }
        if version.atLeast(1, 7) { reader.offsetSize = Int(try reader.byte()) }
        let formatByte = Int(reader.position)
        // archCustom = 1, archTar = 3, archDirectory = 5 (pg_backup.h); a directory dump's
        // toc.dat carries the tar format's code (pg_backup_directory.c reads it as archTar).
        let format: Format
        switch try reader.byte() {
        case 1: format = .custom
        case 3, 5: format = .directory
        case let other: throw DPMError.invalidInput("its header names archive format \(other), which is neither custom nor directory")
        }
        let compressionStart = Int(reader.position)
        let compression: String
        if version.atLeast(1, 15) {
            // pg_compress_algorithm: none, gzip, lz4, zstd.
            let algorithms = ["none", "gzip", "lz4", "zstd"]
            let algorithm = Int(try reader.byte())
            compression = algorithms.indices.contains(algorithm) ? algorithms[algorithm] : "unknown"
        } else if version.atLeast(1, 2) {
            // A zlib level: 0 is none, anything else (-1 is zlib's default) gzip.
            let level = version.atLeast(1, 4) ? try reader.int() : Int(try reader.byte())
            compression = level == 0 ? "none" : "gzip"
        } else {
            compression = "gzip"
        }
        let compressionField = compressionStart..<Int(reader.position)
        var header = ArchiveHeader(version: version.description, format: format, compression: compression)
        if version.atLeast(1, 4) {
            // struct tm: seconds, minutes, hours, day of month, month (from 0), year (from 1900), DST flag.
            var fields: [Int] = []
            for _ in 0..<7 { fields.append(try reader.int()) }
            header.dumpedAt = String(format: "%04d-%02d-%02d %02d:%02d:%02d", fields[5] + 1900, fields[4] + 1, fields[3], fields[2], fields[1], fields[0])
            header.database = try reader.string()
        }
        if version.atLeast(1, 10) {
            header.serverVersion = try reader.string()
            header.pgDumpVersion = try reader.string()
        }
        return (header, formatByte, compressionField)
    }
}

/// What the first lines of a plain-format dump say (pg_dump -Fp): the versions, the
/// client encoding, and whether it creates and connects to a database of its own.
public struct PlainDumpHeader: Sendable, Equatable {
    public var serverVersion: String?
    public var pgDumpVersion: String?
    /// From `SET client_encoding = 'LATIN1';`.
    public var encoding: String?
    /// pg_dump --create: the dump makes its database and `\connect`s to it.
    public var createsDatabase: Bool

    /// The line pg_dump starts every plain dump with, after "--\n".
    public static let opening = "-- PostgreSQL database dump"

    /// Reads the header from the start of the text; nil when it is not a pg_dump plain dump.
    public static func parse(_ text: String) -> PlainDumpHeader? {
        let lines = text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" })
        guard lines.count >= 2, lines[0] == "--", lines[1] == Substring(opening) else { return nil }
        var header = PlainDumpHeader(createsDatabase: false)
        for line in lines {
            if let value = Self.value(of: "-- Dumped from database version ", in: line) { header.serverVersion = value }
            if let value = Self.value(of: "-- Dumped by pg_dump version ", in: line) { header.pgDumpVersion = value }
            if let value = Self.value(of: "SET client_encoding = '", in: line), header.encoding == nil {
                header.encoding = String(value.prefix { $0 != "'" })
            }
            if line.hasPrefix("CREATE DATABASE ") || line.hasPrefix("\\connect ") { header.createsDatabase = true }
            // Table data starts here; what follows it says nothing more about the dump.
            if line.hasPrefix("COPY ") { break }
        }
        return header
    }

    private static func value(of prefix: String, in line: Substring) -> String? {
        line.hasPrefix(prefix) ? String(line.dropFirst(prefix.count)) : nil
    }
}
