import Foundation

/// Names of the databases and folders dpm keeps beside one working database. Names say
/// what a database is to someone reading `\l`; the label inside says it to dpm.
public struct LocalNames: Sendable {
    public let working: String
    /// `<project>/.dpm`
    public let stateDirectory: String

    public init(working: String, stateDirectory: String) {
        self.working = working
        self.stateDirectory = stateDirectory
    }

    /// A regular expression for every database named beside the working one.
    public var besidePattern: String { "^" + Self.regexEscaped(truncated(working, toFit: 2)) + "__" }

    public func template(profile: String, snapshot: String) -> String {
        keyed("__tpl_", profile: profile, snapshot: snapshot)
    }

    public func spare(profile: String, snapshot: String) -> String {
        keyed("__spare_", profile: profile, snapshot: snapshot)
    }

    /// `<db>__stash_20261122T101500`; `taken` avoids a name already in use.
    public func stash(at date: Date, taken: Set<String>) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyyMMdd'T'HHmmss"
        let base = derived("__stash_" + formatter.string(from: date))
        var name = base, counter = 2
        while taken.contains(name) {
            name = derived("__stash_\(formatter.string(from: date))_\(counter)")
            counter += 1
        }
        return name
    }

    /// Whether `name` is one `stash(at:taken:)` could have made.
    public func isStashName(_ name: String) -> Bool {
        guard let range = name.range(of: #"__stash_[0-9]{8}T[0-9]{6}(_[0-9]+)?$"#, options: .regularExpression) else { return false }
        let suffix = String(name[range.lowerBound...])
        return FilePath.sameBytes(String(name[..<range.lowerBound]), truncated(working, toFit: suffix.utf8.count))
    }

    /// The short id users type for a stash: the part after `__stash_`.
    public static func stashID(_ name: String) -> String {
        guard let range = name.range(of: "__stash_", options: .backwards) else { return name }
        return String(name[range.upperBound...])
    }

    /// `<db>__<profile>`; when that is longer than PostgreSQL allows, both parts are shortened
    /// (neither to less than half the room) and a hash of the profile keeps names apart.
    public func attached(profile: String) -> String {
        let full = working + "__" + profile
        if full.utf8.count <= DatabaseNames.maxBytes { return full }
        let hash = "_" + SHA256Hex.of(Data(profile.utf8)).prefix(6)
        let room = DatabaseNames.maxBytes - 2 - hash.utf8.count
        let workingRoom = min(working.utf8.count, max(room / 2, room - profile.utf8.count))
        let workingPart = Self.prefix(of: working, bytes: workingRoom)
        return workingPart + "__" + Self.prefix(of: profile, bytes: room - workingPart.utf8.count) + hash
    }

    /// A database dpm is building beside the working one; a crash leaves it unlabelled,
    /// and only the process holding the matching lock ever removes such names.
    public func building(_ purpose: String) -> String {
        DatabaseNames.temporary(beside: working, purpose: purpose)
    }

    public func buildingPattern(_ purpose: String) -> String {
        "^" + Self.regexEscaped(truncated(working, toFit: "__dpm_\(purpose)_12345678".utf8.count)) + "__dpm_\(purpose)_[0-9a-f]{8}$"
    }

    // MARK: folders

    public var mediaCacheDirectory: String { "\(stateDirectory)/media" }
    /// The lock of the commands that rename or drop this project's local databases.
    var lockFile: String { "\(stateDirectory)/lock" }

    /// The pristine media of one snapshot and its ready copy.
    public func templateMedia(profile: String, snapshot: String) -> String {
        "\(mediaCacheDirectory)/\(profile)/\(snapshot)/template"
    }

    public func spareMedia(profile: String, snapshot: String) -> String {
        "\(mediaCacheDirectory)/\(profile)/\(snapshot)/spare"
    }

    public func stashMedia(_ stash: String) -> String { "\(stashFolder(stash))/media" }

    public func attachedMedia(_ database: String) -> String { "\(attachedFolder(database))/media" }

    /// The folder that belongs to one stash (its media inside), removed with the stash.
    public func stashFolder(_ stash: String) -> String { "\(stateDirectory)/stash/\(stash)" }

    public func attachedFolder(_ database: String) -> String { "\(stateDirectory)/attached/\(database)" }

    // MARK: building names

    private func derived(_ suffix: String) -> String {
        truncated(working, toFit: suffix.utf8.count) + suffix
    }

    /// `<db><marker><profile>_<hash>`: the hash of profile and snapshot keeps names unique
    /// when the profile part has to be shortened to fit PostgreSQL's 63 bytes.
    private func keyed(_ marker: String, profile: String, snapshot: String) -> String {
        let hash = String(SHA256Hex.of(Data("\(profile)\n\(snapshot)".utf8)).prefix(8))
        let fixed = marker.utf8.count + 1 + hash.utf8.count
        let room = DatabaseNames.maxBytes - working.utf8.count - fixed
        let profilePart = room > 0 ? String(profile.prefix(room)) : ""
        return derived(marker + profilePart + "_" + hash)
    }

    private func truncated(_ base: String, toFit suffixBytes: Int) -> String {
        Self.prefix(of: base, bytes: DatabaseNames.maxBytes - suffixBytes)
    }

    /// The longest prefix of whole characters that fits in `bytes` of UTF-8.
    private static func prefix(of text: String, bytes: Int) -> String {
        var text = text
        while text.utf8.count > max(0, bytes) { text.removeLast() }
        return text
    }

    static func regexEscaped(_ text: String) -> String {
        var escaped = ""
        for character in text {
            if "\\^$.|?*+()[]{}".contains(character) { escaped.append("\\") }
            escaped.append(character)
        }
        return escaped
    }
}
