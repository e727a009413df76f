import Foundation

/// One thing a killed dpm command left behind: a database of this project, a scratch folder
/// in TMPDIR or a partial object.
public struct Leftover: Codable, Sendable, Equatable {
    public enum Kind: String, Codable, Sendable {
        case database, folder, file
    }

    public var kind: Kind
    /// A database name, or an absolute path.
    public var name: String
    /// What it holds, said as truthfully as dpm can know it.
    public var holds: String
    public var bytes: Int64?
    /// Whether `dpm cleanup` removes it. Never for what may be the only copy of anything,
    /// or for what a running dpm may still be using.
    public var removable: Bool
    /// What to do instead, when dpm cleanup leaves it alone: a command that works as printed.
    public var advice: String?
}

/// Finds this project's leftovers. Databases count as this project's by their label (which
/// names the working database) or, unlabelled, by a name dpm makes beside the working one.
public struct LeftoverScan: Sendable {
    let server: DatabaseCatalog
    let connection: ServerConnectionInfo
    let names: LocalNames
    let temporaryDirectory: String
    let partialsFolders: [String]
    /// Whether no other dpm command of this project runs now (the caller holds, or could take, the project lock).
    let projectIdle: Bool
    /// Whether no background refill runs now.
    let refillIdle: Bool

    static let purposes = ["restore", "old", "incoming", "template", "clone", "scratch", "rehearse", "rehearsed"]

    public func all() throws -> [Leftover] {
        try databases() + files()
    }

    public func databases() throws -> [Leftover] {
        let pattern = Self.purposes.map { "(\(names.buildingPattern($0)))" }.joined(separator: "|")
        let entries = try server.catalog(named: names.working, orMatching: pattern)
        let present = Set(entries.map(\.name))
        let halfDone = try InterruptedRestores(server: server, stateDirectory: names.stateDirectory, note: { _ in }).halfDoneSwaps()
        let onlyCopies = Dictionary(halfDone.flatMap { swap in swap.candidates.map { ($0, swap) } }, uniquingKeysWith: { first, _ in first })
        let othersRunning = ScratchNames.otherDPMRunning()
        var result: [Leftover] = []
        for entry in entries where entry.name != names.working {
            if let swap = onlyCopies[entry.name] {
                result.append(onlyCopy(entry.name, of: swap))
                continue
            }
            if let label = DatabaseLabel.parse(entry.comment) {
                guard label.working == names.working else { continue }
                switch label.role {
                case .restoring:
                    result.append(Leftover(kind: .database, name: entry.name,
                                           holds: "a partial restore of \(label.contentDescription) that dpm restore was building for \(label.target ?? "?")",
                                           removable: projectIdle, advice: projectIdle ? nil : busy))
                case .retired:
                    let target = label.target ?? "?"
                    let held = label.profile == nil ? "what \(target) held" : "\(label.contentDescription), which \(target) held"
                    result.append(Leftover(kind: .database, name: entry.name,
                                           holds: "\(held) before dpm restore --force replaced it", removable: true))
                case .scratch:
                    guard let owner = label.owner else { continue }
                    let parts = owner.split(separator: ":")
                    let host = parts.dropLast().joined(separator: ":"), pid = parts.last.flatMap { Int32($0) } ?? 0
                    guard host == ProcessInfo.processInfo.hostName else {
                        result.append(Leftover(kind: .database, name: entry.name, holds: "a scratch database of dpm on \(host)",
                                               removable: false, advice: "dpm on \(host) may still use it; run dpm cleanup there"))
                        continue
                    }
                    if ScratchNames.isRunningDPM(pid) { continue }
                    result.append(Leftover(kind: .database, name: entry.name,
                                           holds: "a scratch database of dpm process \(pid), which is gone", removable: true))
                default:
                    continue
                }
            } else if let purpose = Self.purposes.first(where: { entry.name.range(of: names.buildingPattern($0), options: .regularExpression) != nil }) {
                result.append(unlabelled(entry.name, purpose: purpose, workingExists: present.contains(names.working),
                                         othersRunning: othersRunning))
            }
        }
        return result
    }

    private var busy: String { "another dpm command of this project is running and may still be using it" }

    private func onlyCopy(_ name: String, of swap: InterruptedRestores.HalfDoneSwap) -> Leftover {
        let advice: String
        if swap.candidates.count == 1 {
            advice = "the next dpm command in this project renames it back to \(swap.target) (or now: "
                + ShellCommand.psql(connection, "ALTER DATABASE \(ShellCommand.identifier(name)) RENAME TO \(ShellCommand.identifier(swap.target))") + ")"
        } else {
            advice = "several databases may hold it (\(swap.candidates.joined(separator: ", "))); rename the one you want back with "
                + ShellCommand.psql(connection, "ALTER DATABASE \(ShellCommand.identifier(name)) RENAME TO \(ShellCommand.identifier(swap.target))")
        }
        return Leftover(kind: .database, name: name,
                        holds: "what \(swap.target) held before an interrupted restore; \(swap.target) does not exist, so this may be its only copy",
                        removable: false, advice: advice)
    }

    private func unlabelled(_ name: String, purpose: String, workingExists: Bool, othersRunning: Bool) -> Leftover {
        switch purpose {
        case "old":
            return Leftover(kind: .database, name: name,
                            holds: "what \(names.working) held before an older dpm's restore --force replaced it", removable: true)
        case "restore":
            return Leftover(kind: .database, name: name, holds: "a partial restore an older or killed dpm restore was building",
                            removable: projectIdle, advice: projectIdle ? nil : busy)
        case "clone":
            return Leftover(kind: .database, name: name, holds: "a partial spare copy a killed dpm cache refill was making",
                            removable: refillIdle, advice: refillIdle ? nil : "a dpm cache refill is running and may still be making it")
        case "scratch":
            return Leftover(kind: .database, name: name, holds: "a scratch database of an older or killed dpm command",
                            removable: !othersRunning, advice: othersRunning ? "another dpm is running and may be using it" : nil)
        case "rehearse", "rehearsed":
            // dpm rehearse holds the project lock while its clone exists.
            return Leftover(kind: .database, name: name, holds: "the clone a killed dpm rehearse was trying a change on",
                            removable: projectIdle, advice: projectIdle ? nil : busy)
        default:
            return Leftover(kind: .database, name: name, holds: "a partial copy a killed dpm use or attach was making",
                            removable: projectIdle, advice: projectIdle ? nil : busy)
        }
    }

    /// Scratch folders in TMPDIR and partial objects whose dpm is gone.
    public func files() -> [Leftover] {
        var result: [Leftover] = []
        let othersRunning = ScratchNames.otherDPMRunning()
        let folder = temporaryDirectory.hasSuffix("/") && temporaryDirectory.count > 1 ? String(temporaryDirectory.dropLast()) : temporaryDirectory
        for entry in ((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []).sorted() {
            let path = "\(folder)/\(entry)"
            if let pid = ScratchNames.owner(ofScratch: entry) {
                if ScratchNames.isRunningDPM(pid) { continue }
                result.append(Leftover(kind: kind(path), name: path, holds: "scratch space of dpm process \(pid), which is gone",
                                       bytes: Self.size(path), removable: true))
            } else if ScratchNames.isUnownedScratch(entry) {
                result.append(Leftover(kind: kind(path), name: path, holds: "scratch space of an older dpm", bytes: Self.size(path),
                                       removable: !othersRunning, advice: othersRunning ? "another dpm is running and may be using it" : nil))
            }
        }
        for partials in partialsFolders {
            for entry in ((try? FileManager.default.contentsOfDirectory(atPath: partials)) ?? []).sorted() {
                let path = "\(partials)/\(entry)"
                if let pid = ScratchNames.owner(ofPartial: entry) {
                    if ScratchNames.isRunningDPM(pid) { continue }
                    result.append(Leftover(kind: .file, name: path, holds: "a partial object of dpm process \(pid), which is gone",
                                           bytes: Self.size(path), removable: true))
                } else if ScratchNames.isUnownedPartial(entry) {
                    result.append(Leftover(kind: .file, name: path, holds: "a partial object of an older dpm", bytes: Self.size(path),
                                           removable: !othersRunning, advice: othersRunning ? "another dpm is running and may be writing it" : nil))
                }
            }
        }
        return result
    }

    private func kind(_ path: String) -> Leftover.Kind {
        var info = stat()
        return lstat(path, &info) == 0 && info.st_mode & S_IFMT == S_IFDIR ? .folder : .file
    }

    static func size(_ path: String) -> Int64 {
        var info = stat()
        guard lstat(path, &info) == 0 else { return 0 }
        guard info.st_mode & S_IFMT == S_IFDIR else { return Int64(info.st_size) }
        var total: Int64 = 0
        let walker = FileManager.default.enumerator(atPath: path)
        while let relative = walker?.nextObject() as? String {
            if lstat("\(path)/\(relative)", &info) == 0, info.st_mode & S_IFMT == S_IFREG { total += Int64(info.st_size) }
        }
        return total
    }
}

/// Commands dpm prints for the user to run: connection options and shell quoting included,
/// so that they work as printed.
public enum ShellCommand {
    public static func quoted(_ word: String) -> String {
        if !word.isEmpty, word.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "-_./=:@".contains($0)) }) { return word }
        return "'" + word.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }

    /// A SQL identifier in double quotes.
    public static func identifier(_ name: String) -> String {
        "\"" + name.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    /// `psql -h … -p … -U … -d postgres -c 'SQL'`.
    public static func psql(_ server: ServerConnectionInfo, _ sql: String) -> String {
        (["psql"] + server.commandLineOptions + ["-d", "postgres", "-c", sql]).map(quoted).joined(separator: " ")
    }
}
