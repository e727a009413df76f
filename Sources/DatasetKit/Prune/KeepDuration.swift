import Foundation

/// The DURATION of `--keep-within` and `retention.keep_within`: whole numbers with units,
/// largest unit first, each unit at most once (`90d`, `12h`, `2w`, `1y6m`, `1y2m3w4d5h`).
/// Units have fixed lengths, so a duration means the same seconds whenever it is read:
/// y = 365 days, m = 30 days (a month, as in restic), w = 7 days, d = 24 hours, h = an hour.
/// There are no minutes: `m` is a month, and a text that might mean minutes is never guessed at.
public struct KeepDuration: Sendable, Equatable, Codable, CustomStringConvertible {
    /// The text as given (`1y6m`): what reports print, so a user sees their own words.
    public let text: String
    public let seconds: Int64

    static let units: [(symbol: Character, seconds: Int64, name: String)] = [
        ("y", 365 * 86_400, "year of 365 days"), ("m", 30 * 86_400, "month of 30 days"), ("w", 7 * 86_400, "week"),
        ("d", 86_400, "day"), ("h", 3_600, "hour"),
    ]

    /// The sentence for a text that is no duration (after `what`: "--keep-within" or the yaml key).
    static func refusal(_ text: String, what: String) -> String {
        "\(what) takes a duration such as 90d, 12h, 2w or 1y6m (whole numbers, each with a unit, largest first: y = 365 days, m = 30 days, w = 7 days, d = days, h = hours; no minutes), not \"\(text)\"."
    }

    public init(_ text: String, what: String = "--keep-within") throws {
        guard let seconds = Self.parse(text) else { throw DPMError.invalidInput(Self.refusal(text, what: what)) }
        self.text = text
        self.seconds = seconds
    }

    /// Seconds of `text`, or nil when it is not a duration by the rule above.
    static func parse(_ text: String) -> Int64? {
        var total: Int64 = 0
        var number = ""
        var nextUnit = 0
        var sawUnit = false
        for character in text {
            if character.isASCII, character.isNumber {
                number.append(character)
                // Ten digits of hours is over a million years: more is a typo, and would overflow.
                guard number.count <= 6 else { return nil }
                continue
            }
            guard !number.isEmpty, let index = units.firstIndex(where: { $0.symbol == character }), index >= nextUnit,
                  let value = Int64(number) else { return nil }
            total += value * units[index].seconds
            number = ""
            nextUnit = index + 1
            sawUnit = true
        }
        return sawUnit && number.isEmpty ? total : nil
    }

    /// Whether a snapshot made at `date` is within the duration back from `now` (one made
    /// after `now`, by a clock ahead of ours, is).
    public func contains(_ date: Date, now: Date) -> Bool {
        date >= now.addingTimeInterval(-TimeInterval(seconds))
    }

    public var description: String { text }

    public init(from decoder: Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        try self.init(text)
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(text)
    }
}
