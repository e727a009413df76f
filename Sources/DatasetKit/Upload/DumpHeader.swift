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
        var reader = HeaderReader(bytes: bytes)
        return reader.header()
    }
}

/// Reads `WriteHead`'s fields in order; nil past the end of the bytes.
private struct HeaderReader {
    let bytes: [UInt8]
    var offset = 0
    /// (major, minor, revision) of the archive, known once read.
    var version = (0, 0, 0)
    var intSize = 4

    init(bytes: [UInt8]) { self.bytes = bytes }

    private func atLeast(_ major: Int, _ minor: Int) -> Bool { (version.0, version.1) >= (major, minor) }

    mutating func byte() -> Int? {
        guard offset < bytes.count else { return nil }
        defer { offset += 1 }
        return Int(bytes[offset])
    }

    /// `ReadInt`: a sign byte (after 1.0), then `intSize` bytes, least significant first.
    mutating func int() -> Int? {
        let negative = atLeast(1, 1) ? byte().map { $0 != 0 } : false
        guard let negative else { return nil }
        var value = 0
        for index in 0..<intSize {
            guard let next = byte() else { return nil }
            if index < 8 { value |= next << (8 * index) }
        }
        return negative ? -value : value
    }

    /// `ReadStr`: a length (negative: no string), then the bytes.
    mutating func string() -> String?? {
        guard let length = int() else { return nil }
        guard length >= 0 else { return .some(nil) }
        guard offset + length <= bytes.count else { return nil }
        defer { offset += length }
        return .some(String(decoding: bytes[offset..<(offset + length)], as: UTF8.self))
    }

    mutating func header() -> ArchiveHeader? {
        guard bytes.starts(with: ArchiveHeader.magic) else { return nil }
        offset = ArchiveHeader.magic.count
        guard let major = byte(), let minor = byte() else { return nil }
        let revision = major > 1 || (major == 1 && minor > 0) ? byte() : 0
        guard let revision else { return nil }
        version = (major, minor, revision)
        guard let size = byte(), (1...32).contains(size) else { return nil }
        intSize = size
        if atLeast(1, 7) { guard byte() != nil else { return nil } } // the offset size
        // archCustom = 1, archTar = 3, archDirectory = 5 (pg_backup.h); a directory dump's
        // toc.dat carries the tar format's code (pg_backup_directory.c reads it as archTar).
        let format: ArchiveHeader.Format
        switch byte() {
        case 1: format = .custom
        case 3, 5: format = .directory
        default: return nil
        }
        let compression: String
        if atLeast(1, 15) {
            // pg_compress_algorithm: none, gzip, lz4, zstd.
            guard let algorithm = byte() else { return nil }
            compression = ["none", "gzip", "lz4", "zstd"].indices.contains(algorithm) ? ["none", "gzip", "lz4", "zstd"][algorithm] : "unknown"
        } else if atLeast(1, 2) {
            // A zlib level: 0 is none, anything else (-1 is zlib's default) gzip.
            guard let level = atLeast(1, 4) ? int() : byte() else { return nil }
            compression = level == 0 ? "none" : "gzip"
        } else {
            compression = "gzip"
        }
        var header = ArchiveHeader(version: "\(major).\(minor).\(revision)", format: format, compression: compression)
        if atLeast(1, 4) {
            // struct tm: seconds, minutes, hours, day of month, month (from 0), year (from 1900), DST flag.
            var fields: [Int] = []
            for _ in 0..<7 {
                guard let field = int() else { return nil }
                fields.append(field)
            }
            header.dumpedAt = String(format: "%04d-%02d-%02d %02d:%02d:%02d", fields[5] + 1900, fields[4] + 1, fields[3], fields[2], fields[1], fields[0])
            guard let name = string() else { return nil }
            header.database = name
        }
        if atLeast(1, 10) {
            guard let server = string(), let dumper = string() else { return nil }
            header.serverVersion = server
            header.pgDumpVersion = dumper
        }
        return header
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
