import Foundation

/// A database whose comment is a dpm label that dpm cannot have written for it (anyone
/// who may comment on a database can write one). dpm reports it and leaves it, and every
/// folder the label names, alone.
public struct UntrustedLabel: Sendable, Equatable {
    public var name: String
    public var role: DatabaseLabel.Role
    /// Why, as a clause: "its dpm label names the media folder /x, but …".
    public var reason: String

    public var note: String {
        "The database \(name) is left alone: \(reason), so its label is not one dpm wrote; if the database is yours, drop it or its comment by hand."
    }
}

extension LocalNames {
    /// Why dpm would not have written `label` on the database `name`, or nil when it could
    /// have. The folders dpm removes with a database are derived from its name (see
    /// `ownFolder(of:)`), never read from its label, and only for labels that pass this.
    func distrust(_ name: String, _ label: DatabaseLabel) -> String? {
        switch label.role {
        case .working:
            // Nothing acts on such a label away from the working database; a database renamed
            // away from it by hand keeps one, and is not dpm's to judge.
            return nil
        case .template, .spare:
            let what = label.role == .template ? "a template" : "a spare copy"
            guard let profile = label.profile, let snapshot = label.snapshot else {
                return "its dpm label says it is \(what) but names no profile or snapshot"
            }
            guard ProfileName.isValid(profile) else { return "its dpm label names \"\(profile)\", which is not a profile name" }
            guard Self.isSnapshotKey(snapshot) else { return "its dpm label names \"\(snapshot)\", which is not a snapshot id" }
            let expected = label.role == .template ? template(profile: profile, snapshot: snapshot) : spare(profile: profile, snapshot: snapshot)
            guard FilePath.sameBytes(name, expected) else {
                return "its dpm label says it is \(what) of \(profile) \(snapshot), which dpm would name \(expected)"
            }
            if let media = label.media { return "its dpm label names the media folder \(media), which dpm never records for \(what)" }
            return nil
        case .stash:
            guard FilePath.isPlainName(name), isStashName(name) else {
                return "its dpm label says it is a stash, but dpm names stashes \(working)__stash_<time>"
            }
            return distrustMedia(label.media, expected: stashMedia(name), of: "a stash")
        case .attached:
            guard FilePath.isPlainName(name) else {
                return "its dpm label says it is an attached database, but its name cannot name a folder of its own"
            }
            return distrustMedia(label.media, expected: attachedMedia(name), of: "an attached database")
        case .restoring, .retired, .scratch:
            // dpm cleanup drops these: only under the names dpm gives them.
            let what = label.role == .restoring ? "a restore in progress" : label.role == .retired ? "a replaced database" : "a scratch database"
            guard name.range(of: "__dpm_[a-z_]+_[0-9a-f]{8}$", options: .regularExpression) != nil else {
                return "its dpm label says it is \(what), but dpm names those <database>__dpm_<purpose>_<8 hex digits>"
            }
            if let media = label.media { return "its dpm label names the media folder \(media), which dpm never records for \(what)" }
            return nil
        }
    }

    /// The folder dpm keeps for a stash or an attached database (its media inside), removed
    /// with it; nil for other roles.
    func ownFolder(of item: LocalCatalog.Item) -> String? {
        switch item.label.role {
        case .stash: stashFolder(item.name)
        case .attached: attachedFolder(item.name)
        default: nil
        }
    }

    /// The media folder of a stash or attached database whose label says it has one.
    func media(of item: LocalCatalog.Item) -> String? {
        guard item.label.media != nil else { return nil }
        switch item.label.role {
        case .stash: return stashMedia(item.name)
        case .attached: return attachedMedia(item.name)
        default: return nil
        }
    }

    /// A label's media path is dpm's when it is the derived one, or the derived one of this
    /// project at another place (the checkout was moved): dpm then uses the derived path.
    private func distrustMedia(_ media: String?, expected: String, of what: String) -> String? {
        guard let media, !FilePath.sameBytes(media, expected) else { return nil }
        let tail = FilePath.components(expected).suffix(4)
        if FilePath.isAbsolute(media), FilePath.components(media).suffix(4).elementsEqual(tail, by: FilePath.sameBytes) { return nil }
        return "its dpm label names the media folder \(media), but dpm keeps the media of \(what) in \(expected)"
    }

    /// Snapshot ids, and the keys of clean profiles' files in git ("git-" and 12 hex digits).
    static func isSnapshotKey(_ key: String) -> Bool {
        SnapshotID.isValid(key) || key.range(of: "^git-[0-9a-f]{12}$", options: .regularExpression) != nil
    }
}
