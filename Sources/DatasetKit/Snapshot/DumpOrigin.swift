/// Where a snapshot uploaded with `--from-dump` came from: the file, and what its own header says.
public struct DumpOrigin: Codable, Sendable, Equatable {
    /// The file's (or directory's) name, without the folders it was in.
    public var file: String
    /// Bytes of the file as given (compressed, if it was); of all its files for a directory.
    public var size: Int64
    /// "custom", "directory" or "plain".
    public var format: String
    /// How the file as a whole was compressed ("gzip", "zstd"); nil when it was not.
    public var compression: String?
    /// How pg_dump compressed the data inside a custom or directory archive ("none", "gzip", "lz4", "zstd").
    public var dataCompression: String?
    /// The archive format's version ("1.14.0").
    public var archiveVersion: String?
    /// When the dump was made, as the dumping machine's clock showed it (no time zone).
    public var dumpedAt: String?
    /// The dumped database's name, where the header gives it.
    public var database: String?
    public var serverVersion: String?
    public var pgDumpVersion: String?

    public init(file: String, size: Int64, format: String, compression: String? = nil, dataCompression: String? = nil,
                archiveVersion: String? = nil, dumpedAt: String? = nil, database: String? = nil, serverVersion: String? = nil,
                pgDumpVersion: String? = nil) {
        self.file = file
        self.size = size
        self.format = format
        self.compression = compression
        self.dataCompression = dataCompression
        self.archiveVersion = archiveVersion
        self.dumpedAt = dumpedAt
        self.database = database
        self.serverVersion = serverVersion
        self.pgDumpVersion = pgDumpVersion
    }
}
