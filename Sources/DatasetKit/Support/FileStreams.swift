import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A POSIX error turned into one sentence naming the path.
func fileError(_ action: String, _ path: String, _ code: Int32 = errno) -> DPMError {
    DPMError.systemCall("Cannot \(action) \(path)", errorNumber: code)
}

/// Reads a file, or `length` bytes of it from `offset`, through a plain descriptor
/// (no buffering beyond the caller's chunk).
public final class FileReader: ByteReader {
    private let fd: Int32
    public let path: String
    private var offset: Int64
    private var remaining: Int64?

    public init(path: String, offset: Int64 = 0, length: Int64? = nil) throws {
        self.path = path
        self.offset = offset
        self.remaining = length
        fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw fileError("read", path) }
    }

    /// Reads `length` bytes from the start of a file open elsewhere (one that may have no name
    /// left), through a duplicate of `descriptor`; `path` names it in messages.
    public init(duplicating descriptor: Int32, path: String, length: Int64) throws {
        self.path = path
        self.offset = 0
        self.remaining = length
        fd = fcntl(descriptor, F_DUPFD_CLOEXEC, 0)
        guard fd >= 0 else { throw fileError("read", path) }
    }

    deinit { close(fd) }

    public func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        let wanted = remaining.map { Int(min(Int64(buffer.count), $0)) } ?? buffer.count
        guard wanted > 0 else { return 0 }
        while true {
            let count = pread(fd, buffer.baseAddress, wanted, off_t(offset))
            if count < 0, errno == EINTR { continue }
            guard count >= 0 else { throw fileError("read", path) }
            if count == 0, remaining != nil { throw DPMError.corrupt("Cannot read \(path): it is shorter than expected.") }
            offset += Int64(count)
            remaining = remaining.map { $0 - Int64(count) }
            return count
        }
    }
}

/// Writes a file; `finish` fsyncs it (unless it is scratch, `durable: false`) so a rename
/// that follows publishes durable bytes.
public final class FileWriter: ByteWriter {
    private var fd: Int32
    public let path: String
    private let durable: Bool
    private var written: Int64 = 0
    private var reserved: Int64 = 0

    /// - Parameter exclusive: fail if the file already exists instead of truncating it.
    public init(path: String, exclusive: Bool = false, mode: mode_t = 0o644, durable: Bool = true) throws {
        self.path = path
        self.durable = durable
        let flags = O_WRONLY | O_CREAT | O_CLOEXEC | (exclusive ? O_EXCL : O_TRUNC)
        fd = open(path, flags, mode)
        guard fd >= 0 else { throw fileError("write", path) }
    }

    deinit { if fd >= 0 { close(fd) } }

    /// Reserves disk blocks for the `size` bytes about to be written. Writing into reserved
    /// blocks is many times faster than allocating them on the way (measured on ext4: 0.48 GB/s
    /// without, 8.4 GB/s with). The file is as long as the reservation until `finish`, which
    /// cuts it to what was written. Where the file system cannot, nothing happens.
    public func preallocate(_ size: Int64) {
        guard size > 0, written == 0, reserveBlocks(fd: fd, size: size) else { return }
        reserved = size
    }

    public func write(_ bytes: UnsafeRawBufferPointer) throws {
        var offset = 0
        while offset < bytes.count {
            let count = Glibc.write(fd, bytes.baseAddress! + offset, bytes.count - offset)
            if count < 0 {
                if errno == EINTR { continue }
                throw fileError("write", path)
            }
            offset += count
        }
        written += Int64(bytes.count)
    }

    public func finish() throws {
        guard fd >= 0 else { return }
        if reserved > written, ftruncate(fd, off_t(written)) != 0 { throw fileError("truncate", path) }
        if durable, fsync(fd) != 0 { throw fileError("sync", path) }
        if close(fd) != 0 { throw fileError("close", path) }
        fd = -1
    }
}

/// File-system steps that publish work atomically.
public enum AtomicFile {
    /// Writes `data` to a temporary file beside `path`, fsyncs it, and renames it into place.
    /// `durable: false` skips the fsyncs for files that may be stale after a power cut but
    /// never torn: an fsync on ext4 can wait for every dirty block of a fresh database copy.
    public static func write(_ data: Data, to path: String, mode: mode_t = 0o644, durable: Bool = true) throws {
        let directory = FilePath.parent(path)
        let temporary = FilePath.join(directory, ".\(FilePath.lastComponent(path)).tmp-\(randomSuffix())")
        do {
            let writer = try FileWriter(path: temporary, exclusive: true, mode: mode, durable: durable)
            try data.withUnsafeBytes { try writer.write($0) }
            try writer.finish()
            try rename(temporary, to: path)
        } catch {
            unlink(temporary)
            throw error
        }
        if durable { syncDirectory(directory) }
    }

    public static func rename(_ from: String, to: String) throws {
        if Glibc.rename(from, to) != 0 { throw fileError("rename \(from) to", to) }
    }

    /// Makes a completed rename durable; failure here is not actionable, so it is ignored.
    public static func syncDirectory(_ path: String) {
        let fd = open(path.isEmpty ? "." : path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if fd >= 0 { fsync(fd); close(fd) }
    }
}

/// Creates a folder and any missing parents; a failure is one sentence naming the folder,
/// what it is for (e.g. "the store folder") and the system's reason.
public func createFolder(_ path: String, purpose: String? = nil, permissions: mode_t = 0o755) throws {
    var current = path.hasPrefix("/") ? "" : "."
    for component in path.split(separator: "/") {
        current += "/\(component)"
        if mkdir(current, permissions) == 0 { continue }
        let code = errno
        var info = stat()
        if code == EEXIST, stat(current, &info) == 0, info.st_mode & S_IFMT == S_IFDIR { continue }
        throw DPMError.systemCall("Cannot create \(purpose.map { "\($0) " } ?? "")\(path)", errorNumber: code == EEXIST ? ENOTDIR : code)
    }
}
