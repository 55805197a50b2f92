import DemarcBase
import DemarcDecode
import DemarcInspect
/// An `accept` entry: a finding the customer or provider knowingly accepted, for flows
/// within its from/to/ports, until the end of a day (SCENARIO.md, accepted risks).
public struct Acceptance: Sendable {
    public var finding: String
    public var from: [AddressMatch] = [.any]
    public var to: [AddressMatch] = [.any]
    public var ports: [PortMatch] = [.any]
    public var owner: String
    public var reason: String
    /// The last day it holds, as written (YYYY-MM-DD), and as a day number.
    public var until: String
    public var untilDay: Int
    /// Its line in the scenario file (reports name unused entries by it).
    public var line: Int

    public init(finding: String, owner: String, reason: String, until: String, untilDay: Int, line: Int) {
        self.finding = finding; self.owner = owner; self.reason = reason
        self.until = until; self.untilDay = untilDay; self.line = line
    }
}

/// What a finding carries when an `accept` entry matched it.
public struct AcceptedRisk: Sendable, Equatable {
    public var owner: String
    public var reason: String
    public var until: String
    /// The day the report is judged against (today in UTC, or `--as-of`) is past `until`:
    /// the finding counts again.
    public var expired: Bool
    /// Which entry of the scenario's `accept` list matched.
    public var entry: Int
}

/// Calendar days in UTC, as day numbers since 1970-01-01 (the proleptic Gregorian
/// calendar, as ISO 8601 dates use).
public enum CalendarDay {
    /// The day number of an ISO date (YYYY-MM-DD), or nil if it is not a real date.
    public static func parse(_ text: String) -> Int? {
        let u = Array(text.utf8)
        guard u.count == 10, u[4] == UInt8(ascii: "-"), u[7] == UInt8(ascii: "-") else { return nil }
        func number(_ r: Range<Int>) -> Int? {
            var v = 0
            for i in r {
                guard (48...57).contains(u[i]) else { return nil }
                v = v * 10 + Int(u[i] - 48)
            }
            return v
        }
        guard let y = number(0..<4), let m = number(5..<7), let d = number(8..<10), (1...12).contains(m), d >= 1 else { return nil }
        let leap = y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)
        let lengths = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
        guard d <= lengths[m - 1] else { return nil }
        return days(year: y, month: m, day: d)
    }

    /// Days from 1970-01-01 to the date (the civil-calendar arithmetic of H. Hinnant's
    /// date algorithms: years start in March, so the leap day comes last).
    static func days(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let doy = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    /// Today in UTC (by the wall clock).
    public static func today() -> Int {
        let micros = Timestamps.nowMicros()
        return Int(micros >= 0 ? micros / 86_400_000_000 : (micros + 1) / 86_400_000_000 - 1)
    }
}
