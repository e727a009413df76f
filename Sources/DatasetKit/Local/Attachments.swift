import Foundation

public struct AttachOptions: Sendable {
    public var profile: ProfileName
    public var snapshotID: String?
    /// The database name; `<working db>__<profile>` when nil.
    public var name: String?
    public var jobs: Int

    public init(profile: ProfileName, snapshotID: String? = nil, name: String? = nil,
                jobs: Int = ProcessInfo.processInfo.activeProcessorCount) {
        self.profile = profile
        self.snapshotID = snapshotID
        self.name = name
        self.jobs = max(1, jobs)
    }
}

/// One attached database as `attach`, `detach` and `status` show it.
public struct AttachedInfo: Codable, Sendable {
    public var database: String
    public var profile: String?
    public var snapshot: String?
    public var kind: ProfileKind?
    public var uri: String
    public var media: String?
    public var attachedAt: String
    public var method: SwitchResult.Method?
    public var seconds: Double?
}

/// `dpm attach` / `dpm detach`: a snapshot restored beside the working database (which is
/// never touched), for debugging with a customer's data next to your own.
public struct Attachments {
    let local: LocalDatabases

    public init(local: LocalDatabases) {
        self.local = local
    }

    var names: LocalNames { local.names }

    public func attach(_ options: AttachOptions) throws -> AttachedInfo {
        let started = local.workspace.now()
        let lock = try local.lockAndRepair(recycling: false)
        defer { withExtendedLifetime(lock) {} }
        try local.requireCreatePrivilege(for: "attach")
        let loader = local.loader(options.jobs)
        let choice = try loader.choose(options.profile, id: options.snapshotID)
        let name = options.name ?? names.attached(profile: choice.profile.value)
        try checkName(name, chosen: options.name != nil)
        if try local.server.databaseExists(name) {
            throw DPMError.conflict("The database \(name) already exists; detach it first (dpm detach \(name)) or choose another name with --as.")
        }

        let templates = TemplateCache(local: local, loader: loader)
        let catalog = try templates.droppingOutdatedSpare(choice, from: try local.catalog())
        let incoming = try templates.incomingCopy(choice, catalog: catalog, cloneName: names.building("incoming"))
        let clone = incoming.method == .spare ? nil : incoming.database
        var media: String?
        let label: DatabaseLabel
        do {
            if local.workspace.project.mediaDirectory != nil, let template = try templates.templateMedia(choice) {
                let folder = names.attachedMedia(name)
                FolderMoves.remove(names.attachedFolder(name))
                try FolderMoves.copy(template, to: folder)
                media = folder
            }
            label = DatabaseLabel(role: .attached, working: names.working, profile: choice.profile.value, snapshot: choice.key,
                                  kind: choice.kind, since: local.timestamp(), media: media)
            try local.server.applyAtomically([.rename(incoming.database, to: name), .comment(on: name, label.commentText)]) { _ in }
        } catch {
            if let clone { local.dropIfPresent(clone) }
            if media != nil { FolderMoves.remove(names.attachedFolder(name)) }
            throw error
        }
        try templates.touch(incoming.template)
        local.workspace.progress.end()
        var info = info(LocalCatalog.Item(name: name, label: label, isTemplate: false))
        info.method = incoming.method
        info.seconds = local.workspace.now().timeIntervalSince(started)
        return info
    }

    /// Drops the attached databases named by profile or database name (or all of them) with their media.
    public func detach(_ targets: [String], all: Bool, force: Bool) throws -> [AttachedInfo] {
        let lock = try local.lockAndRepair(recycling: false)
        defer { withExtendedLifetime(lock) {} }
        let catalog = try local.catalog()
        let attached = catalog.attached
        var chosen: [LocalCatalog.Item] = []
        if all {
            chosen = attached
        } else {
            for target in targets {
                let matches = attached.filter { $0.name == target || $0.label.profile == target }
                guard !matches.isEmpty else {
                    if let refusal = catalog.refusal(for: target, roles: [.attached]) { throw refusal }
                    let known = attached.map(\.name)
                    let hint = known.isEmpty ? "nothing is attached" : "attached: \(known.joined(separator: ", "))"
                    if target == names.working {
                        throw DPMError.invalidInput("\(target) is the working database, not an attached one; dpm never drops it.")
                    }
                    throw DPMError.notFound("Nothing named \"\(target)\" is attached to \(names.working) (\(hint)).")
                }
                chosen += matches.filter { match in !chosen.contains { $0.name == match.name } }
            }
        }
        catalog.noteUntrusted([.attached], local.workspace.note)
        for item in chosen { try local.clearSessions(on: item.name, force: force, what: "The attached database") }
        var removed: [AttachedInfo] = []
        for item in chosen {
            removed.append(info(item))
            try local.drop(item)
        }
        return removed
    }

    public func list() throws -> [AttachedInfo] { list(try local.catalog()) }

    func list(_ catalog: LocalCatalog) -> [AttachedInfo] { catalog.attached.map(info) }

    private func info(_ item: LocalCatalog.Item) -> AttachedInfo {
        AttachedInfo(database: item.name, profile: item.label.profile, snapshot: item.label.snapshot, kind: item.label.kind,
                     uri: local.connection.connectionURI(for: item.name), media: names.media(of: item), attachedAt: item.label.since)
    }

    /// Names for --as: plain identifiers, and never one of the names dpm keeps for itself.
    private func checkName(_ name: String, chosen: Bool) throws {
        try DatabaseNames.validate(name)
        guard chosen else { return }
        guard name.range(of: "^[A-Za-z_][A-Za-z0-9_-]*$", options: .regularExpression) != nil else {
            throw DPMError.invalidInput("\"\(name)\" is not a usable database name for --as: use letters, digits, \"_\" and \"-\", starting with a letter or \"_\".")
        }
        if name == names.working {
            throw DPMError.invalidInput("\(name) is the working database; attach puts a snapshot beside it, so choose another name with --as.")
        }
        if name.range(of: "__(tpl|spare|stash|dpm)_", options: .regularExpression) != nil {
            throw DPMError.invalidInput("\"\(name)\" looks like a name dpm keeps for its own databases (__tpl_, __spare_, __stash_, __dpm_); choose another name with --as.")
        }
    }
}
