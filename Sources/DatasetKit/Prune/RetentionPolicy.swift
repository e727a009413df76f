import Foundation
import Yams

/// Which snapshot records `dpm prune` keeps: the union of its rules (a snapshot stays when any
/// rule keeps it). From dpm.yaml's `retention:`, each setting overridden by its flag. Pins
/// (any manifest in git or the working tree) are not a rule: they always keep a snapshot.
public struct RetentionPolicy: Sendable, Equatable, Codable {
    /// The newest N records of each profile; 0 is given on purpose and keeps none by count
    /// (and then the newest is no longer kept for being the newest).
    public var keepLast: Int?
    /// Records made within this duration back from now.
    public var keepWithin: KeepDuration?
    /// Records that a tag names.
    public var keepTagged: Bool?

    public static let key = "retention"
    static let settings = ["keep_last", "keep_within", "keep_tagged"]

    public init(keepLast: Int? = nil, keepWithin: KeepDuration? = nil, keepTagged: Bool? = nil) {
        self.keepLast = keepLast
        self.keepWithin = keepWithin
        self.keepTagged = keepTagged
    }

    /// True when no rule is given: prune then refuses, since removing everything unpinned is never a default.
    public var isEmpty: Bool { keepLast == nil && keepWithin == nil && keepTagged != true }

    /// This policy with every setting `flags` gives in place of ours.
    public func overridden(by flags: RetentionPolicy) -> RetentionPolicy {
        RetentionPolicy(keepLast: flags.keepLast ?? keepLast, keepWithin: flags.keepWithin ?? keepWithin,
                        keepTagged: flags.keepTagged ?? keepTagged)
    }

    /// The policy of the command line's texts, each refused in one sentence when it does not parse.
    public static func flags(keepLast: String?, keepWithin: String?, keepTagged: Bool?) throws -> RetentionPolicy {
        var policy = RetentionPolicy(keepTagged: keepTagged)
        if let keepLast {
            guard let count = Int(keepLast), count >= 0 else {
                throw DPMError.invalidInput("--keep-last takes how many of each profile's newest snapshots to keep, a whole number of 0 or more (like --keep-last 5), not \"\(keepLast)\".")
            }
            policy.keepLast = count
        }
        if let keepWithin { policy.keepWithin = try KeepDuration(keepWithin) }
        return policy
    }

    /// `retention:` of dpm.yaml: a mapping of the three settings; anything else is refused.
    static func parse(_ node: Node, in file: YAMLFile) throws -> RetentionPolicy {
        func refuse(_ line: Int?, _ problem: String) -> DPMError {
            DPMError.invalidInput("\(file.displayName) line \(line ?? file.line(of: key)): \(problem).")
        }
        guard let mapping = node.mapping else {
            throw refuse(nil, "\"retention\" must be a mapping of keep_last, keep_within and keep_tagged")
        }
        var policy = RetentionPolicy()
        for (name, value) in mapping {
            let line = value.mark?.line ?? name.mark?.line
            switch name.string {
            case "keep_last":
                guard let text = value.string, let count = Int(text), count >= 0 else {
                    throw refuse(line, "retention.keep_last must be a whole number of 0 or more (how many of each profile's newest snapshots prune keeps)")
                }
                policy.keepLast = count
            case "keep_within":
                guard let text = value.string, KeepDuration.parse(text) != nil else {
                    throw refuse(line, String(KeepDuration.refusal(value.string ?? "", what: "retention.keep_within").dropLast()))
                }
                policy.keepWithin = try KeepDuration(text)
            case "keep_tagged":
                guard let flag = value.bool else { throw refuse(line, "retention.keep_tagged must be true or false") }
                policy.keepTagged = flag
            default:
                throw refuse(name.mark?.line, "unknown setting \"retention.\(name.string ?? "?")\" (known: \(settings.joined(separator: ", ")))")
            }
        }
        return policy
    }
}
