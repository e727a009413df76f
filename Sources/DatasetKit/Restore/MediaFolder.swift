import Foundation

/// Rebuilds a media folder from a snapshot's index in a staging folder beside the
/// target, and swaps it in by rename.
struct MediaFolder {
    let transfer: ObjectTransfer
    let jobs: Int

    /// Returns the staging folder, complete and verified; on failure nothing is left behind.
    func stage(_ entries: [MediaEntry], beside target: String) throws -> String {
        let staging = Self.stagingFolder(beside: target)
        try createFolder(staging, purpose: "the media staging folder")
        do {
            let folders = Set(entries.flatMap { FilePath.enclosingFolders($0.path) })
            for folder in folders.sorted() {
                try createFolder(FilePath.join(staging, folder), purpose: "the media staging folder")
            }
            transfer.progress.begin("restoring media", totalItems: entries.count)
            let transfer = transfer
            try concurrentForEach(entries, width: jobs) { entry in
                let artifact = entry.artifact
                let path = FilePath.join(staging, entry.path), mode = mode_t(entry.mode & 0o777)
                try transfer.fetch(artifact, to: path, mode: mode)
                // The recorded bits, whatever the umask (open's mode is masked by it).
                guard chmod(path, mode) == 0 else { throw fileError("set the permissions of", path) }
                transfer.progress.advance(items: 1)
            }
        } catch {
            try? FileManager.default.removeItem(atPath: staging)
            throw error
        }
        return staging
    }

    /// `.<name>.dpm-staging-<hex>` beside `target`: a restore's repair removes what a kill leaves of it.
    static func stagingFolder(beside target: String) -> String {
        FilePath.join(FilePath.parent(target), ".\(FilePath.lastComponent(target)).dpm-staging-\(randomSuffix())")
    }

    /// Moves `staging` to `target`; the old folder is removed only after the new one is in place.
    static func swap(_ staging: String, into target: String) throws {
        let parent = FilePath.parent(target)
        guard FileManager.default.fileExists(atPath: target) else {
            try AtomicFile.rename(staging, to: target)
            AtomicFile.syncDirectory(parent)
            return
        }
        let retired = FilePath.join(parent, ".\(FilePath.lastComponent(target)).dpm-old-\(randomSuffix())")
        try AtomicFile.rename(target, to: retired)
        do {
            try AtomicFile.rename(staging, to: target)
        } catch {
            try? AtomicFile.rename(retired, to: target)
            throw error
        }
        AtomicFile.syncDirectory(parent)
        try? FileManager.default.removeItem(atPath: retired)
    }
}
