import Foundation

/// A pause between batches as written in a header or on the command line: a number with the
/// unit ms, s or m ("100ms", "1.5s", "2m"), or 0.
public enum PauseDuration {
    /// Seconds, or nil when `text` is not a duration.
    public static func seconds(_ text: String) -> Double? {
        if text == "0" { return 0 }
        for (unit, factor) in [("ms", 0.001), ("s", 1.0), ("m", 60.0)] where text.hasSuffix(unit) {
            let number = text.dropLast(unit.count)
            // Digits and at most one point only: Double("inf"), "1e3" or "-1" are not durations.
            guard !number.isEmpty, number.allSatisfy({ $0.isASCII && ($0.isNumber || $0 == ".") }),
                  number.filter({ $0 == "." }).count <= 1, let value = Double(number) else { return nil }
            return value * factor
        }
        return nil
    }
}
