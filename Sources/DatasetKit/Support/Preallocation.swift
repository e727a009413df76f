#if os(Linux)
// glibc's fallocate(2) wrapper is declared only under _GNU_SOURCE, which the Glibc module
// does not define; binding the exported symbol keeps the domain free of C modules.
@_silgen_name("fallocate")
private func linuxFallocate(_ fd: Int32, _ mode: Int32, _ offset: Int64, _ length: Int64) -> Int32

/// FALLOC_FL_KEEP_SIZE: reserve blocks without changing the file's size.
private let keepSize: Int32 = 1

/// Reserves blocks for `size` bytes; false where the file system cannot (the caller goes on without).
@discardableResult
func reserveBlocks(fd: Int32, size: Int64) -> Bool {
    linuxFallocate(fd, keepSize, 0, size) == 0
}
#else
@discardableResult
func reserveBlocks(fd: Int32, size: Int64) -> Bool { false }
#endif
