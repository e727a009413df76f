import CZstd
import DatasetKit
import Foundation

/// Patches are single zstd frames whose history starts with the base (zstd's "prefix", as
/// `zstd --patch-from` uses it). Long-distance matching finds the base's copy of each run
/// however far back it lies; without it, matches further back than the level's hash tables
/// reach (about 2 MiB at level 3) are lost and a 4 MiB chunk patches no better than it compresses.
extension ZstdCodec {
    public func patch(_ content: Data, against base: Data) throws -> Data? {
        guard let context = ZSTD_createCCtx() else { throw DPMError.system("Cannot start zstd compression: out of memory.") }
        defer { ZSTD_freeCCtx(context) }
        let window = Self.windowLog(covering: base.count + content.count)
        for (parameter, value) in [(ZSTD_c_compressionLevel, Int32(level)), (ZSTD_c_windowLog, window),
                                   (ZSTD_c_enableLongDistanceMatching, 1), (ZSTD_c_checksumFlag, 1)] {
            try Self.check(ZSTD_CCtx_setParameter(context, parameter, value), "zstd refused a patch setting")
        }
        let capacity = ZSTD_compressBound(content.count)
        var patch = Data(count: capacity)
        let written = try base.withUnsafeBytes { base in
            try Self.check(ZSTD_CCtx_refPrefix(context, base.baseAddress, base.count), "zstd refused the patch's base")
            return try content.withUnsafeBytes { content in
                try patch.withUnsafeMutableBytes { out in
                    try Self.check(ZSTD_compress2(context, out.baseAddress, capacity, content.baseAddress, content.count), "zstd could not make a patch")
                }
            }
        }
        patch.count = written
        return patch
    }

    public func apply(_ patch: Data, to base: Data, size: Int) throws -> Data {
        guard let context = ZSTD_createDCtx() else { throw DPMError.system("Cannot start zstd decompression: out of memory.") }
        defer { ZSTD_freeDCtx(context) }
        try Self.check(ZSTD_DCtx_setParameter(context, ZSTD_d_windowLogMax, Self.windowLog(covering: base.count + size)),
                       "zstd refused a patch setting")
        // The frame says its content size; one that says another size is not this patch.
        let declared = patch.withUnsafeBytes { ZSTD_getFrameContentSize($0.baseAddress, $0.count) }
        guard declared == UInt64(size) else { throw DPMError.corrupt("it is not a zstd patch of \(size) bytes") }
        var content = Data(count: size)
        let written: Int
        do {
            written = try base.withUnsafeBytes { base in
                try Self.check(ZSTD_DCtx_refPrefix(context, base.baseAddress, base.count), "zstd refused the patch's base")
                return try patch.withUnsafeBytes { patch in
                    try content.withUnsafeMutableBytes { out in
                        try Self.check(ZSTD_decompressDCtx(context, out.baseAddress, size, patch.baseAddress, patch.count), "")
                    }
                }
            }
        } catch let error as DPMError where error.kind == .internal {
            throw DPMError.corrupt("it does not apply to its base (\(error.message))")
        }
        guard written == size else { throw DPMError.corrupt("it gives \(written) bytes where \(size) were recorded") }
        return content
    }

    /// The smallest window (at least zstd's minimum) that holds the base and the content, so that
    /// the decoder's limit is exactly what the patch needs.
    static func windowLog(covering bytes: Int) -> Int32 {
        var log: Int32 = 10
        while log < 30, (1 << log) < bytes { log += 1 }
        return log
    }

    @discardableResult
    private static func check(_ result: Int, _ what: String) throws -> Int {
        guard ZSTD_isError(result) != 0 else { return result }
        let reason = String(cString: ZSTD_getErrorName(result))
        throw DPMError.internal(what.isEmpty ? reason : "\(what): \(reason).")
    }
}
