#if os(Linux)
// glibc's fallocate(2) wrapper is declared only under _GNU_SOURCE, which the Glibc module
// does not define; binding the exported symbol keeps the domain free of C modules.
@_silgen_name("fallocate")
private func linuxFallocate(_ fd: Int32, _ mode: Int32, _ offset: Int64, _ length: Int64) -> Int32

/// Allocates blocks for `size` bytes and sets the file's size to it (mode 0: FALLOC_FL_KEEP_SIZE
/// would leave every write extending the file, which on ext4 is as slow as no reservation);
/// false where the file system cannot (the caller goes on without).
@discardableResult
func reserveBlocks(fd: Int32, size: Int64) -> Bool {
    linuxFallocate(fd, 0, 0, size) == 0
}
#else
@discardableResult
func reserveBlocks(fd: Int32, size: Int64) -> Bool { false }
#endif
