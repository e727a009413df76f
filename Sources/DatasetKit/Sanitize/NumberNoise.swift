/// `int-noise:PCT`: a number multiplied by a keyed factor in [1 - PCT%, 1 + PCT%] (steps of
/// 0.01%), rounded to the input's own scale: `42` stays an integer, `19.90` keeps two
/// decimals. The sign is kept (a non-zero value never becomes 0 or changes sign), an integer
/// stays within the smallest of smallint, integer and bigint that held it, and a decimal
/// keeps its count of digits, so the value still fits its column. `NaN` and infinities stay;
/// a value in exponent form (a float's) is noised as a Double.
enum NumberNoise {
    static func noise(_ value: [UInt8], withinPercent percent: Int, _ digester: KeyedDigester) -> [UInt8]? {
        let text = String(decoding: value, as: UTF8.self)
        if ["NaN", "Infinity", "-Infinity"].contains(text) { return value }
        var stream = digester.stream(of: value)
        let steps = percent * 100
        let basisPoints = stream.number(below: 2 * steps + 1) - steps
        if text.contains(where: { $0 == "e" || $0 == "E" }) {
            guard let number = Double(text), number.isFinite else { return nil }
            return Array("\(number * (1 + Double(basisPoints) / 10_000))".utf8)
        }
        guard let decimal = ScaledInteger(text) else { return nil }
        var noisy = decimal
        noisy.digits = scaled(decimal.digits, basisPoints: basisPoints)
        let limit: Int = if decimal.scale > 0 {
            Self.powerOfTen(decimal.precision) - 1
        } else {
            [Int(Int16.max), Int(Int32.max), Int.max].first { $0 >= abs(decimal.digits) } ?? Int.max
        }
        noisy.digits = min(max(noisy.digits, -limit), limit)
        return Array(noisy.text.utf8)
    }

    /// `value` × (1 + basisPoints / 10 000), rounded half away from zero, its sign kept.
    private static func scaled(_ value: Int, basisPoints: Int) -> Int {
        let product = value.multipliedFullWidth(by: basisPoints)
        let (quotient, remainder) = 10_000.dividingFullWidth(product)
        let delta = quotient + (2 * abs(remainder) >= 10_000 ? (remainder < 0 ? -1 : 1) : 0)
        let (sum, overflow) = value.addingReportingOverflow(delta)
        let result = overflow ? (value < 0 ? Int.min + 1 : Int.max) : sum
        if value > 0 { return max(result, 1) }
        if value < 0 { return min(result, -1) }
        return 0
    }

    static func powerOfTen(_ exponent: Int) -> Int {
        (0..<exponent).reduce(1) { power, _ in power.multipliedReportingOverflow(by: 10).overflow ? Int.max : power * 10 }
    }
}

/// A decimal number's text as an integer of its digits and the count of digits after the point.
struct ScaledInteger: Equatable {
    var digits: Int
    var scale: Int
    /// How many digits the text had, leading zeros not counted.
    var precision: Int

    init?(_ text: String) {
        var body = Substring(text)
        let negative = body.hasPrefix("-")
        if negative || body.hasPrefix("+") { body = body.dropFirst() }
        let parts = body.split(separator: ".", omittingEmptySubsequences: false)
        guard (1...2).contains(parts.count), parts.allSatisfy({ $0.allSatisfy(\.isASCII) && $0.allSatisfy(\.isNumber) }),
              !parts.joined().isEmpty else { return nil }
        let significant = parts.joined().drop { $0 == "0" }
        guard let value = significant.isEmpty ? 0 : Int((negative ? "-" : "") + significant) else { return nil }
        scale = parts.count == 2 ? parts[1].count : 0
        precision = max(significant.count, 1)
        // -2^63 has no positive counterpart; one more keeps every `abs` defined.
        digits = value == Int.min ? Int.min + 1 : value
    }

    var text: String {
        var magnitude = String(abs(digits))
        if scale > 0 {
            if magnitude.count <= scale { magnitude = String(repeating: "0", count: scale + 1 - magnitude.count) + magnitude }
            magnitude.insert(".", at: magnitude.index(magnitude.endIndex, offsetBy: -scale))
        }
        return digits < 0 ? "-" + magnitude : magnitude
    }
}
