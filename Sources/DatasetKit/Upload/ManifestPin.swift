import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The last step of an upload (and the one step of `dpm pin`): pin a snapshot in the
/// profile's manifest, but only if the manifest is still what it was when the work started.
/// Two uploads of one profile that run at once both store their snapshots; the one that
/// finishes second finds the manifest changed, leaves it alone and says how to pin its
/// snapshot instead.
struct ManifestPin {
    /// Whose pin it is, for the sentence that says the manifest changed meanwhile.
    enum Work {
        case upload
        case pin
    }

    let project: Project
    let profile: ProfileName
    let store: ObjectStore
    let work: Work
    /// The manifest's bytes when the work started; nil when there was none.
    let atStart: Data?

    init(project: Project, profile: ProfileName, store: ObjectStore, work: Work = .upload) {
        self.project = project
        self.profile = profile
        self.store = store
        self.work = work
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
            switch work {
            case .upload:
                throw DPMError.conflict("Snapshot \(snapshot.id) of \(profile) is stored, but \(manifestName) \(change) while this upload ran (another upload?), so dpm left it alone; to pin \(snapshot.id) instead, \(pinCommand(snapshot.id)).")
            case .pin:
                throw DPMError.conflict("\(manifestName) \(change) while dpm checked snapshot \(snapshot.id) (another upload or pin?), so dpm left it alone; to pin \(snapshot.id) instead, \(pinCommand(snapshot.id)) again.")
            }
        }
        do {
            try project.writeManifest(snapshot, for: profile)
        } catch {
            var reason = error.userMessage
            if reason.hasSuffix(".") { reason.removeLast() }
            if let first = reason.first { reason = first.lowercased() + reason.dropFirst() }
            switch work {
            case .upload:
                throw DPMError.system("Snapshot \(snapshot.id) of \(profile) is stored in \(store.displayName), but \(manifestName) could not be written (\(reason)); to pin it, \(pinCommand(snapshot.id)).")
            case .pin:
                throw DPMError.system("\(manifestName) could not be written (\(reason)), so it still pins what it pinned.")
            }
        }
    }

    /// How to pin a stored snapshot: `dpm pin` checks it again and writes the manifest as this would have.
    func pinCommand(_ id: String) -> String {
        "run \"dpm pin \(profile) \(id)\""
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
