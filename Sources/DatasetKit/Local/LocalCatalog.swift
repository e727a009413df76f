import Foundation

/// The databases beside one working database, read from the server in one query, with
/// dpm's labels. Databases without a label (or with another project's) are not dpm's.
public struct LocalCatalog: Sendable {
    public struct Item: Sendable, Equatable {
        public var name: String
        public var label: DatabaseLabel
        public var isTemplate: Bool
    }

    public let names: LocalNames
    /// Whether the working database exists, and its label if dpm switched it in.
    public let workingExists: Bool
    public let workingLabel: DatabaseLabel?
    public let items: [Item]
    /// Labelled databases dpm cannot have labelled so: reported, never acted on.
    public let untrusted: [UntrustedLabel]
    /// Every database name seen (labelled or not), to avoid collisions.
    public let allNames: Set<String>

    public static func load(server: DatabaseCatalog, names: LocalNames) throws -> LocalCatalog {
        let entries = try server.catalog(named: names.working, orMatching: names.besidePattern)
        var workingExists = false
        var workingLabel: DatabaseLabel?
        var items: [Item] = []
        var untrusted: [UntrustedLabel] = []
        for entry in entries {
            let label = DatabaseLabel.parse(entry.comment).flatMap { $0.working == names.working ? $0 : nil }
            if entry.name == names.working {
                workingExists = true
                workingLabel = label?.role == .working ? label : nil
            } else if let label {
                if let reason = names.distrust(entry.name, label) {
                    untrusted.append(UntrustedLabel(name: entry.name, role: label.role, reason: reason))
                } else {
                    items.append(Item(name: entry.name, label: label, isTemplate: entry.isTemplate))
                }
            }
        }
        return LocalCatalog(names: names, workingExists: workingExists, workingLabel: workingLabel, items: items,
                            untrusted: untrusted, allNames: Set(entries.map(\.name)))
    }

    public func items(_ role: DatabaseLabel.Role) -> [Item] { items.filter { $0.label.role == role } }

    /// Tells the user about each untrusted label of these roles: what a command left alone and why.
    func noteUntrusted(_ roles: Set<DatabaseLabel.Role>, _ note: (String) -> Void) {
        for item in untrusted where roles.contains(item.role) { note(item.note) }
    }

    /// The untrusted database a user named (by database name, or `matches`), as the error to give.
    func refusal(for target: String, roles: Set<DatabaseLabel.Role>, matches: (String) -> Bool = { _ in false }) -> DPMError? {
        untrusted.first { roles.contains($0.role) && ($0.name == target || matches($0.name)) }.map { DPMError.conflict($0.note) }
    }

    public func template(profile: String, snapshot: String) -> Item? {
        let name = names.template(profile: profile, snapshot: snapshot)
        return items.first { $0.name == name && $0.label.role == .template && $0.isTemplate && matches($0, profile, snapshot) }
    }

    public func spare(profile: String, snapshot: String) -> Item? {
        let name = names.spare(profile: profile, snapshot: snapshot)
        return items.first { $0.name == name && $0.label.role == .spare && matches($0, profile, snapshot) }
    }

    /// Templates, most recently used first.
    public var templatesByUse: [Item] {
        items(.template).sorted { ($0.label.lastUsed ?? $0.label.since) > ($1.label.lastUsed ?? $1.label.since) }
    }

    /// Stashes, newest first.
    public var stashes: [Item] {
        items(.stash).sorted { ($0.label.since, $0.name) > ($1.label.since, $1.name) }
    }

    public var attached: [Item] { items(.attached).sorted { $0.name < $1.name } }

    private func matches(_ item: Item, _ profile: String, _ snapshot: String) -> Bool {
        item.label.profile == profile && item.label.snapshot == snapshot
    }
}
