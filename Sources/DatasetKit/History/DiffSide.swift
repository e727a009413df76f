/// One side of `dpm diff` as the user wrote it: a profile's pinned snapshot (`ug`), one
/// snapshot of it by id, id prefix or tag (`ug@20260601T09`, `ug@contract-7`), or the working
/// database and media folder as they are now (`--working`).
public enum DiffSide: Equatable, Sendable, CustomStringConvertible {
    case pinned(ProfileName)
    /// The reference is checked to be one (`SnapshotReference`) and kept as written, for the resolver and the labels.
    case snapshot(ProfileName, String)
    case working

    public static let workingFlag = "--working"
    static let forms = "PROFILE, PROFILE@SNAPSHOT, PROFILE@TAG or --working"

    public init(_ text: String) throws {
        if text == Self.workingFlag {
            self = .working
            return
        }
        if text.hasPrefix("-") {
            throw DPMError.invalidInput("\"\(text)\" is not an option of dpm diff; each side is \(Self.forms).")
        }
        guard let at = text.firstIndex(of: "@") else {
            self = .pinned(try ProfileName(text))
            return
        }
        let profile = String(text[..<at]), reference = String(text[text.index(after: at)...])
        guard !profile.isEmpty else {
            throw DPMError.invalidInput("\"\(text)\" names no profile before the @; each side is \(Self.forms).")
        }
        guard !reference.isEmpty else {
            throw DPMError.invalidInput("\"\(text)\" names no snapshot after the @; write \(profile)@SNAPSHOT or \(profile)@TAG, or \(profile) alone for the snapshot its manifest pins.")
        }
        let name = try ProfileName(profile)
        _ = try SnapshotReference(reference)
        self = .snapshot(name, reference)
    }

    /// The two sides of a diff, in order: what it compares from, and what to.
    public static func pair(_ texts: [String]) throws -> (DiffSide, DiffSide) {
        // An unknown option is named as one, not counted as a side.
        if let option = texts.first(where: { $0.hasPrefix("-") && $0 != workingFlag }) { _ = try DiffSide(option) }
        guard texts.count == 2 else {
            let given = switch texts.count {
            case 0: "none was given"
            case 1: "only one was given (\(texts[0]))"
            default: "\(texts.count) were given (\(texts.joined(separator: " ")))"
            }
            throw DPMError.invalidInput("dpm diff compares two sides, each \(forms), but \(given).")
        }
        let sides = (try DiffSide(texts[0]), try DiffSide(texts[1]))
        if sides.0 == .working, sides.1 == .working {
            throw DPMError.invalidInput("Both sides are --working, which is one database and one media folder; compare it with a snapshot, as in \"dpm diff PROFILE --working\".")
        }
        return sides
    }

    public var profile: ProfileName? {
        switch self {
        case .pinned(let name), .snapshot(let name, _): name
        case .working: nil
        }
    }

    public var description: String {
        switch self {
        case .pinned(let name): name.value
        case .snapshot(let name, let reference): "\(name)@\(reference)"
        case .working: Self.workingFlag
        }
    }
}
