/// Names of files in a pg_dump directory: plain names only, nothing that leaves the folder.
enum DumpFileName {
    static func isValid(_ name: String) -> Bool {
        !name.isEmpty && name.count < 256 && !name.hasPrefix(".") && !name.contains("/") && !name.contains("\0")
    }
}
