import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The last step of an upload: pin its snapshot in the profile's manifest, but only if the
/// manifest is still what it was when the upload started. Two uploads of one profile that
/// run at once both store their snapshots; the one that finishes second finds the manifest
/// changed, leaves it alone and says how to pin its snapshot instead.
struct ManifestPin {
    let project: Project
    let profile: ProfileName
    let store: ObjectStore
    /// The manifest's bytes when the upload started; nil when there was none.
    let atStart: Data?

    init(project: Project, profile: ProfileName, store: ObjectStore) {
        self.project = project
        self.profile = profile
        self.store = store
        atStart = Self.read(project.manifestPath(profile))
    }

    var manifestName: String { "profiles/\(profile)/manifest.json" }

    /// Writes `snapshot` (already in the store) as the manifest.
    func pin(_ snapshot: Snapshot) throws {
        // Held on the profile's folder, not a file in it: nothing new appears in the repository.
        let lock = FolderLock(project.profileDirectory(profile))
        defer { withExtendedLifetime(lock) {} }
        let now = Self.read(project.manifestPath(profile))
        guard now == atStart else {
            let pinned = now.flatMap { try? CanonicalJSON.decode(Snapshot.self, from: $0, what: manifestName) }
            let change = now == nil ? "was removed" : pinned.map { "now pins \($0.id)" } ?? "was changed"
            throw DPMError.conflict("Snapshot \(snapshot.id) of \(profile) is stored, but \(manifestName) \(change) while this upload ran (another upload?), so dpm left it alone; to pin \(snapshot.id) instead, \(pinCommand(snapshot.id)).")
        }
        do {
            try project.writeManifest(snapshot, for: profile)
        } catch {
            var reason = error.userMessage
            if reason.hasSuffix(".") { reason.removeLast() }
            if let first = reason.first { reason = first.lowercased() + reason.dropFirst() }
            throw DPMError.system("Snapshot \(snapshot.id) of \(profile) is stored in \(store.displayName), but \(manifestName) could not be written (\(reason)); to pin it, \(pinCommand(snapshot.id)).")
        }
    }

    /// How to pin a stored snapshot by hand today: its record is byte for byte the manifest.
    func pinCommand(_ id: String) -> String {
        let key = StoreLayout.snapshotKey(profile: profile.value, id: id)
        let name = store.displayName
        if name.hasPrefix("file://") {
            return "run in \(project.root): cp \(ShellCommand.quoted("\(name.dropFirst("file://".count))/\(key)")) \(manifestName)"
        }
        return "copy \(name.hasSuffix("/") ? name : name + "/")\(key) to \(manifestName) (e.g. with aws s3 cp)"
    }

    private static func read(_ path: String) -> Data? {
        try? Data(contentsOf: URL(fileURLWithPath: path))
    }
}

/// An exclusive `flock` on a folder, waited for at most a minute; without it (the folder
/// cannot be opened) the caller goes on and its own write reports the problem.
final class FolderLock {
    private let descriptor: Int32

    init(_ path: String) {
        descriptor = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard descriptor >= 0 else { return }
        var attempts = 0
        while flock(descriptor, LOCK_EX | LOCK_NB) != 0, attempts < 3000 {
            usleep(20_000)
            attempts += 1
        }
    }

    deinit {
        if descriptor >= 0 { close(descriptor) }
    }
}
