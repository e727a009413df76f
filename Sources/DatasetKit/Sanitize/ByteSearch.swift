import Foundation

extension UnsafeRawBufferPointer {
    /// The index of the first `byte` at or after `start`, found with memchr (COPY lines and
    /// fields can be megabytes long).
    func index(of byte: UInt8, from start: Int) -> Int? {
        guard start < count, let base = baseAddress, let hit = memchr(base + start, Int32(byte), count - start) else { return nil }
        return UnsafeRawPointer(hit) - base
    }
}
