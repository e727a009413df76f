import Foundation

/// Which snapshots a manifest pins anywhere prune must respect: `profiles/<name>/manifest.json`
/// at the tip of every branch, tag and remote-tracking branch of the project's git repository,
/// and in the working tree (pins not yet committed count too). Every ref is read with one
/// `git for-each-ref` and every manifest with one `git cat-file --batch`, so the cost does not
/// grow with a process per ref.
struct GitPins {
    let git: GitRunner
    let project: Project

    /// Snapshot id → where it is pinned ("main", "origin/main", "tag v1", "working tree").
    struct Pins: Sendable, Equatable {
        var places: [String: [String]] = [:]
        /// False when the project is not a git repository: only the working tree counted.
        var repository = true
        var refs = 0

        mutating func add(_ id: String, by place: String) {
            if places[id]?.contains(place) != true { places[id, default: []].append(place) }
        }
    }

    static let workingTree = "working tree"

    /// The pins of `profiles`' manifests. Refuses (nothing is removed then) when git cannot say:
    /// a manifest it cannot read could pin any snapshot.
    func pins(of profiles: [ProfileName]) throws -> Pins {
        var pins = Pins()
        let refs = try self.refs()
        if let refs {
            pins.refs = refs.count
            try readCommitted(profiles, at: refs, into: &pins)
        } else {
            pins.repository = false
        }
        for profile in profiles {
            let path = "\(project.profileDirectory(profile))/manifest.json"
            guard let bytes = FileManager.default.contents(atPath: path) else {
                if FileManager.default.fileExists(atPath: path) {
                    throw DPMError.system("profiles/\(profile)/manifest.json cannot be read, so prune cannot tell which snapshot it pins; nothing was removed.")
                }
                continue
            }
            let ids = Self.pinnedIDs(in: bytes)
            guard !ids.isEmpty else {
                throw DPMError.corrupt("profiles/\(profile)/manifest.json names no snapshot id, so prune cannot tell which snapshot it pins; check it out from git as dpm wrote it (nothing was removed).")
            }
            for id in ids { pins.add(id, by: Self.workingTree) }
        }
        return pins
    }

    struct Ref: Equatable {
        let object: String
        /// How reasons name it: "main", "origin/main", "tag v1".
        let name: String
    }

    /// Every branch, tag and remote-tracking branch; nil when the project is not in a git repository.
    func refs() throws -> [Ref]? {
        let format = "%(objectname)%09%(refname)%09%(refname:short)%09%(symref)"
        let output: GitOutput
        do {
            output = try git.run(["for-each-ref", "--format=\(format)", "refs/heads", "refs/tags", "refs/remotes"], input: nil, in: project.root)
        } catch {
            // Without git, a manifest of any branch could pin any snapshot: nothing may go.
            throw DPMError.system("\(String(error.userMessage.dropLast())), so prune cannot tell which snapshots the branches pin; nothing was removed.")
        }
        guard output.status == 0 else {
            if output.stderr.contains("not a git repository") { return nil }
            throw DPMError.system("git for-each-ref failed (\(Self.lastLine(output.stderr))), so prune cannot tell which snapshots the branches pin; nothing was removed.")
        }
        return Self.parseRefs(output.stdout)
    }

    static func parseRefs(_ output: Data) -> [Ref] {
        String(decoding: output, as: UTF8.self).split(separator: "\n").compactMap { line in
            let fields = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
            // A symbolic ref (origin/HEAD) names a branch that is listed itself.
            guard fields.count == 4, !fields[0].isEmpty, fields[3].isEmpty else { return nil }
            let name = fields[1].hasPrefix("refs/tags/") ? "tag \(fields[1].dropFirst("refs/tags/".count))" : fields[2]
            return Ref(object: fields[0], name: name)
        }
    }

    private func readCommitted(_ profiles: [ProfileName], at refs: [Ref], into pins: inout Pins) throws {
        let requests = refs.flatMap { ref in profiles.map { (ref, "\(ref.object):profiles/\($0)/manifest.json") } }
        guard !requests.isEmpty else { return }
        let input = Data(requests.map { $0.1 + "\n" }.joined().utf8)
        let output = try git.run(["--no-pager", "cat-file", "--batch"], input: input, in: project.root)
        guard output.status == 0 else {
            throw DPMError.system("git cat-file failed (\(Self.lastLine(output.stderr))), so prune cannot tell which snapshots the branches pin; nothing was removed.")
        }
        for ((ref, _), blob) in zip(requests, ManifestCommits.parseBatch(output.stdout, count: requests.count)) {
            guard let blob else { continue }
            for id in Self.pinnedIDs(in: blob) { pins.add(id, by: ref.name) }
        }
    }

    /// The snapshot a manifest pins; for bytes that are not a manifest's JSON (a commit with
    /// conflict markers, one edited by hand), every snapshot id they mention: pins err on the side of keeping.
    static func pinnedIDs(in manifest: Data) -> [String] {
        if let id = ManifestCommits.pinnedID(in: manifest) { return [id] }
        let text = String(decoding: manifest, as: UTF8.self)
        guard let pattern = try? NSRegularExpression(pattern: "[0-9]{8}T[0-9]{6}Z-[0-9a-f]{6}") else { return [] }
        let range = NSRange(text.startIndex..., in: text)
        return pattern.matches(in: text, range: range).compactMap { Range($0.range, in: text).map { String(text[$0]) } }
    }

    private static func lastLine(_ text: String) -> String {
        text.split(separator: "\n").last.map { String($0).trimmingCharacters(in: .whitespaces) } ?? "no message"
    }
}
