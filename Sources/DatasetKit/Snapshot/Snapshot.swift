import Foundation

/// One stored artifact: its bytes live in the store under the id of the uncompressed content,
/// its SHA-256 (or, in an encrypted store, its keyed HMAC-SHA256: see `Snapshot.objectIDs`).
/// A chunked artifact (`chunks` set, format 2) lives in chunks, and the object its id names
/// is its chunk list (`ChunkList`).
public struct Artifact: Codable, Sendable, Equatable {
    /// Where the artifact goes on restore: a file of the dump directory, or a media path.
    public var path: String
    /// The object's id: of the content itself, or of its chunk list when `chunks` is set. The
    /// name stays for the records of plaintext stores; what it holds is what the snapshot's
    /// `objectIDs` says.
    public var sha256: String
    public var size: Int64
    /// Every stored byte of the artifact: its object's, and for a chunked one its chunks' too
    /// (and the bases its patched chunks apply to: what restoring it reads).
    public var storedSize: Int64
    /// Set when the content is stored as chunks listed by the object `sha256` names.
    public var chunks: ChunkedContent?
    /// Set when the object travels in a pack (format 3, small unchunked contents only): its
    /// stored bytes are `storedSize` bytes of that pack.
    public var pack: PackedAt?
    /// For table data files: the table, and its row count.
    public var table: String?
    public var rows: Int64?
    /// For media files: the permission bits.
    public var mode: Int?

    public init(path: String, sha256: String, size: Int64, storedSize: Int64,
                table: String? = nil, rows: Int64? = nil, mode: Int? = nil, chunks: ChunkedContent? = nil, pack: PackedAt? = nil) {
        self.path = path
        self.sha256 = sha256
        self.size = size
        self.storedSize = storedSize
        self.table = table
        self.rows = rows
        self.mode = mode
        self.chunks = chunks
        self.pack = pack
    }

    /// The stored size of the object `sha256` names (the chunk list's, for a chunked artifact).
    public var objectStoredSize: Int64 { chunks?.listStoredSize ?? storedSize }
}

public struct MigrationState: Codable, Sendable, Equatable {
    public var table: String
    public var versions: [String]
    /// Which tool's layout the table has (e.g. "rails/dbmate", "golang-migrate"); nil in older manifests.
    public var tool: String?
    /// True when the table keeps only the latest version (golang-migrate, alembic): every
    /// earlier migration is implied.
    public var latestOnly: Bool?

    public init(table: String, versions: [String], tool: String? = nil, latestOnly: Bool? = nil) {
        self.table = table
        self.versions = versions
        self.tool = tool
        self.latestOnly = latestOnly
    }
}

public struct SnapshotSource: Codable, Sendable, Equatable {
    public var database: String
    public var serverVersion: String
    public var serverVersionNumber: Int
    /// Encoding, collation and settings of the source database; nil in snapshots made before
    /// dpm recorded them (those restore with the server's defaults).
    public var properties: DatabaseProperties?
    /// The dump file the snapshot was imported from (`dpm upload --from-dump`); nil when it
    /// was read from a database.
    public var dump: DumpOrigin?

    public init(database: String, serverVersion: String, serverVersionNumber: Int, properties: DatabaseProperties? = nil,
                dump: DumpOrigin? = nil) {
        self.database = database
        self.serverVersion = serverVersion
        self.serverVersionNumber = serverVersionNumber
        self.properties = properties
        self.dump = dump
    }
}

public struct MediaSummary: Codable, Sendable, Equatable {
    /// The media index object: a JSON list of files (path, size, mode, sha256).
    public var index: Artifact
    public var files: Int
    public var bytes: Int64
    /// Compressed bytes of the media files, as stored.
    public var storedBytes: Int64

    public init(index: Artifact, files: Int, bytes: Int64, storedBytes: Int64) {
        self.index = index
        self.files = files
        self.bytes = bytes
        self.storedBytes = storedBytes
    }
}

public struct SnapshotSizes: Codable, Sendable, Equatable {
    /// Uncompressed bytes of schema, data and media.
    public var total: Int64
    /// Bytes as stored (compressed), counting shared objects once per snapshot.
    public var stored: Int64
    public var data: Int64
    public var media: Int64

    public init(total: Int64, stored: Int64, data: Int64, media: Int64) {
        self.total = total
        self.stored = stored
        self.data = data
        self.media = media
    }
}

/// An immutable capture of a profile. The same structure is the store's snapshot record
/// and the profile's manifest.json (the pinned snapshot).
public struct Snapshot: Codable, Sendable, Equatable {
    /// 2: artifacts may be chunked (`Artifact.chunks`); 3: small ones may travel in packs
    /// (`Artifact.pack`, and media files' `MediaEntry.pack`). Format 1 records (every artifact
    /// one object) and format 2 records keep restoring. 4: chunk lists may hold patched chunks
    /// (`Chunk.base`), which a dpm that reads only format 3 would take for their patches' bytes.
    public static let currentFormat = 4
    public static let readableFormats = 1...4

    public var format: Int
    public var id: String
    public var profile: String
    public var kind: ProfileKind
    public var createdAt: String
    public var message: String
    public var tool: String
    public var compression: String
    public var source: SnapshotSource
    public var filters: TableFilters
    public var migrations: [MigrationState]
    public var schema: Artifact
    public var data: [Artifact]
    public var media: MediaSummary?
    /// Tables the schema defines (with or without captured rows); nil in older snapshots.
    public var tables: Int?
    public var sizes: SnapshotSizes
    /// True for profiles of kind clean, whose schema and data live in git, not in the store.
    public var inGit: Bool?
    /// How the data was sanitized; nil when the profile had no rules (or in older snapshots).
    public var sanitize: SanitizeRecord?
    /// What the `sha256` of each artifact (and of each entry of the media index) holds: nil for
    /// the SHA-256 of the content (a plaintext store), `hmac-sha256` for the keyed id of an
    /// encrypted store, whose objects are sealed too (`ObjectSealing.idKind`).
    public var objectIDs: String?

    public init(format: Int, id: String, profile: String, kind: ProfileKind, createdAt: String, message: String,
                tool: String, compression: String, source: SnapshotSource, filters: TableFilters,
                migrations: [MigrationState], schema: Artifact, data: [Artifact], media: MediaSummary?, tables: Int? = nil,
                sizes: SnapshotSizes, inGit: Bool? = nil, sanitize: SanitizeRecord? = nil, objectIDs: String? = nil) {
        self.format = format
        self.id = id
        self.profile = profile
        self.kind = kind
        self.createdAt = createdAt
        self.message = message
        self.tool = tool
        self.compression = compression
        self.source = source
        self.filters = filters
        self.migrations = migrations
        self.schema = schema
        self.data = data
        self.media = media
        self.tables = tables
        self.sizes = sizes
        self.inGit = inGit
        self.sanitize = sanitize
        self.objectIDs = objectIDs
    }

    /// Tables in the schema; for snapshots older than that count, tables with captured rows.
    public var tableCount: Int { tables ?? data.filter { $0.table != nil }.count }
    public var rowCount: Int64 { data.compactMap(\.rows).reduce(0, +) }

    /// Every object the record names itself, without repeats: the chunks of chunked artifacts
    /// are named by their chunk lists, and media files by the media index (`SnapshotIndexes`).
    public var objectHashes: [String] {
        var hashes = [schema.sha256] + data.map(\.sha256)
        if let media { hashes.append(media.index.sha256) }
        return Array(Set(hashes)).sorted()
    }
}

/// Deterministic JSON: sorted keys, pretty, no escaped slashes, trailing newline.
public enum CanonicalJSON {
    public static func encode<T: Encodable>(_ value: T) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        var data = try encoder.encode(value)
        data.append(0x0A)
        return data
    }

    public static func decode<T: Decodable>(_ type: T.Type, from data: Data, what: String) throws -> T {
        do {
            return try JSONDecoder().decode(type, from: data)
        } catch let DecodingError.dataCorrupted(context) {
            throw DPMError.corrupt("\(what) is malformed: \(context.debugDescription.trimmingCharacters(in: .punctuationCharacters)).")
        } catch let DecodingError.keyNotFound(key, context) {
            throw DPMError.corrupt("\(what) is malformed: \"\(pathText(context.codingPath + [key]))\" is missing.")
        } catch let DecodingError.typeMismatch(_, context), let DecodingError.valueNotFound(_, context) {
            throw DPMError.corrupt("\(what) is malformed: \"\(pathText(context.codingPath))\" has the wrong type.")
        } catch {
            throw DPMError.corrupt("\(what) is malformed: \(SystemErrorText.reason(error)).")
        }
    }

    private static func pathText(_ path: [CodingKey]) -> String {
        path.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".")
    }
}

/// Snapshot ids sort by creation time: `20261122T031826Z-1a2b3c`.
public enum SnapshotID {
    public static func make(at date: Date) -> String {
        "\(compactTimestamp(date))-\(randomSuffix(6))"
    }

    public static func isValid(_ id: String) -> Bool {
        id.range(of: #"^[0-9]{8}T[0-9]{6}Z-[0-9a-f]{6}$"#, options: .regularExpression) != nil
    }

    static func compactTimestamp(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyyMMdd'T'HHmmss'Z'"
        return formatter.string(from: date)
    }
}

public enum Timestamp {
    public static func iso8601(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.string(from: date)
    }

    /// With milliseconds, for labels that order events happening within one second.
    public static func precise(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.string(from: date)
    }

    public static func parse(_ text: String) -> Date? {
        if let date = ISO8601DateFormatter().date(from: text) { return date }
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.date(from: text)
    }
}
