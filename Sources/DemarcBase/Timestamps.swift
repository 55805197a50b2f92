#if canImport(Glibc)
import Glibc
#endif
/// RFC 3339 UTC text with microseconds for a time in microseconds since the epoch.
public enum Timestamps {
    /// The wall clock, in microseconds since the epoch.
    public static func nowMicros() -> Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Int64(ts.tv_sec) * 1_000_000 + Int64(ts.tv_nsec) / 1000
    }

    /// The last instant a report writes, 9999-12-31T23:59:59.999999Z, in microseconds.
    public static let latestMicros: Int64 = 253_402_300_799_999_999

    /// A capture record's time (seconds and microseconds since the epoch, as the record
    /// gives them) in microseconds, or nil where it overflows or lies outside
    /// 1970-01-01…9999-12-31: such a record's time is corrupt, not a time to analyse.
    @inlinable @inline(__always)
    public static func micros(seconds: Int64, fraction: Int64) -> Int64? {
        let (whole, o1) = seconds.multipliedReportingOverflow(by: 1_000_000)
        let (t, o2) = whole.addingReportingOverflow(fraction)
        guard !o1, !o2, t >= 0, t <= latestMicros else { return nil }
        return t
    }

    /// `YYYY-MM-DDTHH:MM:SS.ffffffZ`: 27 bytes for years 0…9999.
    @inlinable package static var width: Int { 27 }

    public static func iso8601(micros: Int64) -> String {
        String(unsafeUninitializedCapacity: width) { buf in
            write(micros: micros, into: buf.baseAddress!)
        }
    }

    /// Writes the text at `p` (room for `width` bytes) and returns its length.
    @discardableResult
    package static func write(micros: Int64, into p: UnsafeMutablePointer<UInt8>) -> Int {
        var secs = micros / 1_000_000
        var frac = micros % 1_000_000
        if frac < 0 { frac += 1_000_000; secs -= 1 }
        var days = secs / 86_400
        var rem = secs % 86_400
        if rem < 0 { rem += 86_400; days -= 1 }
        // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        let y = min(max(yoe + era * 400 + (m <= 2 ? 1 : 0), 0), 9999)
        var i = 0
        func digits(_ v: Int64, _ count: Int) {
            var v = v
            var k = count - 1
            while k >= 0 { p[i + k] = 48 + UInt8(v % 10); v /= 10; k -= 1 }
            i += count
        }
        func char(_ c: UInt8) { p[i] = c; i += 1 }
        digits(y, 4); char(0x2d); digits(m, 2); char(0x2d); digits(d, 2); char(0x54)
        digits(rem / 3600, 2); char(0x3a); digits(rem % 3600 / 60, 2); char(0x3a); digits(rem % 60, 2)
        char(0x2e)
        writeFraction(frac, into: p + i)
        return i + 7
    }

    /// `YYYY-MM-DDTHH:MM:SS.`: the part of the text that stays the same within a second.
    @inlinable package static var secondWidth: Int { 20 }

    /// The microseconds (0…999 999) as six digits, then `Z`: the text's last 7 bytes.
    @inlinable @inline(__always)
    package static func writeFraction(_ frac: Int64, into p: UnsafeMutablePointer<UInt8>) {
        var f = frac
        var k = 5
        while k >= 0 { p[k] = 48 + UInt8(f % 10); f /= 10; k -= 1 }
        p[6] = UInt8(ascii: "Z")
    }
}
