/// A streaming compressor/decompressor pair (zstd in production). Both directions are
/// pull-based so that a store's `put` can read compressed bytes as it sends them.
public protocol CompressionCodec: Sendable {
    /// Name recorded in snapshots, e.g. "zstd".
    var name: String { get }
    func compressing(_ source: ByteReader) throws -> ByteReader
    func decompressing(_ source: ByteReader) throws -> ByteReader
    /// `content` as a patch against `base`: compressed with `base` as the history it may copy
    /// from, so that content which shares most of its bytes with `base` costs only what differs.
    /// nil when this codec does not make patches (the content is then stored whole).
    func patch(_ content: Data, against base: Data) throws -> Data?
    /// The content `patch(_:against:)` made, given the same `base`; `size` is the content's
    /// size. Throws `DPMError.corrupt` when `patch` is not a patch this codec can apply to `base`.
    func apply(_ patch: Data, to base: Data, size: Int) throws -> Data
}

import Foundation

extension CompressionCodec {
    public func patch(_ content: Data, against base: Data) throws -> Data? { nil }
    public func apply(_ patch: Data, to base: Data, size: Int) throws -> Data {
        throw DPMError.corrupt("it is a patch, and the \(name) codec cannot apply patches")
    }
}
