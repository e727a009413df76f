import Foundation

/// A commit of the repository that changed a profile's manifest.
public struct ManifestCommit: Codable, Sendable, Equatable {
    public var commit: String
    public var author: String
    /// The author date, ISO 8601 with the author's offset.
    public var date: String
    public var subject: String

    public init(commit: String, author: String, date: String, subject: String) {
        self.commit = commit
        self.author = author
        self.date = date
        self.subject = subject
    }
}

/// Which commits pinned which snapshot: `git log` of `profiles/<name>/manifest.json` on the
/// current branch, and the manifest as each of those commits left it (one `git cat-file
/// --batch` for all of them, so the cost does not grow with a process per commit).
struct ManifestCommits {
    let git: GitRunner
    let project: Project

    /// Snapshot id → the commits whose manifest pins it, newest first. A project that is not
    /// a git repository, or one without commits, has none; `note` hears why git gave nothing
    /// when it failed for another reason.
    func pins(of profile: ProfileName, note: (String) -> Void) -> [String: [ManifestCommit]] {
        let path = "./profiles/\(profile)/manifest.json"
        let log: GitOutput
        do {
            log = try git.run(["--no-pager", "-c", "log.showSignature=false", "log", "--no-color", "--format=\(Self.format)", "--", path],
                              input: nil, in: project.root)
        } catch {
            note("The git history of profiles/\(profile)/manifest.json is not shown: \(error.userMessage)")
            return [:]
        }
        guard log.status == 0 else {
            if !Self.meansNoHistory(log.stderr) {
                note("The git history of profiles/\(profile)/manifest.json is not shown: git log failed (\(Self.lastLine(log.stderr))).")
            }
            return [:]
        }
        let commits = Self.parseLog(log.stdout)
        guard !commits.isEmpty else { return [:] }
        let request = commits.map { "\($0.commit):\(path)\n" }.joined()
        guard let contents = try? git.run(["--no-pager", "cat-file", "--batch"], input: Data(request.utf8), in: project.root),
              contents.status == 0 else {
            note("The git history of profiles/\(profile)/manifest.json is not shown: git cat-file failed.")
            return [:]
        }
        var pins: [String: [ManifestCommit]] = [:]
        for (commit, blob) in zip(commits, Self.parseBatch(contents.stdout, count: commits.count)) {
            guard let blob, let id = Self.pinnedID(in: blob) else { continue }
            pins[id, default: []].append(commit)
        }
        return pins
    }

    /// Fields split by unit separators, commits ended by record separators: a subject may hold anything else.
    static let format = "%H%x1f%an%x1f%aI%x1f%s%x1e"

    static func parseLog(_ output: Data) -> [ManifestCommit] {
        String(decoding: output, as: UTF8.self).split(separator: "\u{1E}").compactMap { record in
            let fields = record.trimmingCharacters(in: .newlines).split(separator: "\u{1F}", omittingEmptySubsequences: false).map(String.init)
            guard fields.count == 4, !fields[0].isEmpty else { return nil }
            return ManifestCommit(commit: fields[0], author: fields[1], date: fields[2], subject: fields[3])
        }
    }

    /// `git cat-file --batch` answers: `<oid> blob <size>\n<bytes>\n`, or `<name> missing\n`
    /// for a commit whose tree lacks the file (the commit that deleted it). One entry per request.
    static func parseBatch(_ output: Data, count: Int) -> [Data?] {
        var results: [Data?] = []
        let bytes = [UInt8](output)
        var position = 0
        while results.count < count, position < bytes.count {
            guard let end = bytes[position...].firstIndex(of: 0x0A) else { break }
            let header = String(decoding: bytes[position..<end], as: UTF8.self).split(separator: " ")
            position = end + 1
            guard header.count == 3, let size = Int(header[2]), size >= 0, position + size <= bytes.count else {
                results.append(nil)
                continue
            }
            results.append(header[1] == "blob" ? Data(bytes[position..<position + size]) : nil)
            position += size + 1
        }
        return results + Array(repeating: nil, count: max(0, count - results.count))
    }

    /// The snapshot a manifest's bytes pin; nil for anything that is not a manifest's JSON (a
    /// commit with merge conflict markers, say).
    static func pinnedID(in manifest: Data) -> String? {
        struct Pinned: Decodable { let id: String }
        guard let id = try? JSONDecoder().decode(Pinned.self, from: manifest).id, SnapshotID.isValid(id) else { return nil }
        return id
    }

    /// git's own words for "there is no history to show".
    static func meansNoHistory(_ stderr: String) -> Bool {
        stderr.contains("not a git repository") || stderr.contains("does not have any commits")
    }

    private static func lastLine(_ text: String) -> String {
        text.split(separator: "\n").last.map { String($0).trimmingCharacters(in: .whitespaces) } ?? "no message"
    }
}
