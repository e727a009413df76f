/// `date-shift:DAYS`: the `YYYY-MM-DD` at the start of a date or timestamp, as PostgreSQL
/// writes it with DateStyle ISO (pg_dump's), moved by a keyed number of days in [-DAYS, DAYS]
/// other than 0; the time, the time zone and a ` BC` are kept. `infinity` and `-infinity`
/// stay. The shift depends on the whole value, so one value shifts alike in every table.
enum DateShift {
    static func shift(_ value: [UInt8], withinDays days: Int, _ digester: KeyedDigester) -> [UInt8]? {
        let text = String(decoding: value, as: UTF8.self)
        if text == "infinity" || text == "-infinity" { return value }
        guard let date = CivilDate(isoPrefixOf: value) else { return nil }
        var stream = digester.stream(of: value)
        let draw = stream.number(below: 2 * days)
        let offset = draw < days ? draw - days : draw - days + 1
        let rest = value[date.length...]
        let isBC = rest.suffix(3).elementsEqual(" BC".utf8)
        let year = isBC ? 1 - date.year : date.year
        guard date.day <= CivilDate.daysIn(month: date.month, year: year) else { return nil }
        var shifted = CivilDate(days: CivilDate.days(year: year, month: date.month, day: date.day) + offset)
        var tail = Array(rest)
        if isBC { tail.removeLast(3) }
        let resultIsBC = shifted.year <= 0
        if resultIsBC { shifted.year = 1 - shifted.year }
        var output = Array(shifted.isoText.utf8)
        output.append(contentsOf: tail)
        if resultIsBC { output.append(contentsOf: " BC".utf8) }
        return output
    }
}

/// A proleptic Gregorian date, with the day arithmetic of Howard Hinnant's `days_from_civil`:
/// exact for any year, independent of the machine's time zone and calendar.
struct CivilDate: Equatable {
    var year: Int
    var month: Int
    var day: Int
    /// How many bytes of the text the date took.
    var length = 0

    init(year: Int, month: Int, day: Int) {
        self.year = year
        self.month = month
        self.day = day
    }

    /// `YYYY-MM-DD` (four or more year digits) at the start of `text`; the day is checked
    /// against the month by the caller, who knows whether the year is BC.
    init?(isoPrefixOf text: [UInt8]) {
        func number(_ range: Range<Int>) -> Int? {
            guard range.upperBound <= text.count else { return nil }
            var value = 0
            for byte in text[range] {
                guard (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) else { return nil }
                value = value * 10 + Int(byte - UInt8(ascii: "0"))
            }
            return value
        }
        var yearEnd = 0
        while yearEnd < text.count, yearEnd < 9, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(text[yearEnd]) { yearEnd += 1 }
        guard yearEnd >= 4, text.count >= yearEnd + 6, text[yearEnd] == UInt8(ascii: "-"), text[yearEnd + 3] == UInt8(ascii: "-"),
              let year = number(0..<yearEnd), let month = number((yearEnd + 1)..<(yearEnd + 3)),
              let day = number((yearEnd + 4)..<(yearEnd + 6)), (1...12).contains(month), (1...31).contains(day) else { return nil }
        if text.count > yearEnd + 6, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(text[yearEnd + 6]) { return nil }
        self.init(year: year, month: month, day: day)
        length = yearEnd + 6
    }

    init(days: Int) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let shiftedMonth = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * shiftedMonth + 2) / 5 + 1
        let month = shiftedMonth < 10 ? shiftedMonth + 3 : shiftedMonth - 9
        self.init(year: yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month: month, day: day)
    }

    /// Days since 1970-01-01 of a date with an astronomical year (0 is 1 BC).
    static func days(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    /// `YYYY-MM-DD`, the year with at least four digits.
    var isoText: String {
        func padded(_ value: Int, _ width: Int) -> String {
            let digits = String(value)
            return String(repeating: "0", count: max(width - digits.count, 0)) + digits
        }
        return "\(padded(year, 4))-\(padded(month, 2))-\(padded(day, 2))"
    }
}
