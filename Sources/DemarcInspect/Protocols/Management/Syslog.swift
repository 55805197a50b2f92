import DemarcBase
import DemarcDecode
/// Syslog: a `<PRI>` header (facility and severity, at most 191). Over UDP on port 514
/// that alone will do; elsewhere, and over TCP (RFC 6587, with or without an octet
/// count before each message), the header must go on as RFC 5424 (`1 ` and a timestamp
/// or `-`) or RFC 3164 (a month name) does.
public enum SyslogInspector: ProtocolInspector {
    public static let transports: Transports = .both

    public static func identify(_ c: inout InspectionContext, _ p: Bytes) -> Identification {
        guard c.fromClient || c.isUDP else { return .no }
        var at = 0
        if c.isTCP {
            // Octet counting: the message length in digits, a space, then the message.
            var i = 0
            while let b = p.u8(i), b >= 0x30 && b <= 0x39, i < 6 { i += 1 }
            if i > 0, p.u8(i) == 0x20 { at = i + 1 }
        }
        guard let after = pri(p, at: at) else { return .no }
        let strict = c.isTCP || !c.port(514)
        if strict && !(rfc5424(p, at: after) || rfc3164(p, at: after)) { return .no }
        c.identify(.syslog)
        return .yes
    }

    /// The offset after a `<PRI>` at `at` (1–3 digits, at most 191).
    static func pri(_ p: Bytes, at: Int) -> Int? {
        guard p.u8(at) == UInt8(ascii: "<") else { return nil }
        var i = at + 1, v = 0
        while let b = p.u8(i), b >= 0x30 && b <= 0x39, i <= at + 3 { v = v * 10 + Int(b - 0x30); i += 1 }
        guard i > at + 1, p.u8(i) == UInt8(ascii: ">"), v <= 191 else { return nil }
        return i + 1
    }

    /// `1 ` then a full-date timestamp (`2026-…T`) or the nil value `- `.
    static func rfc5424(_ p: Bytes, at: Int) -> Bool {
        guard p.starts(with: "1 ", at: at) else { return false }
        if p.starts(with: "- ", at: at + 2) { return true }
        guard p.has(at + 2, 11) else { return false }
        for k in digitOffsets where !(0x30...0x39).contains(p.base[at + 2 + k]) { return false }
        return p.base[at + 6] == 0x2d && p.base[at + 9] == 0x2d && p.base[at + 12] == UInt8(ascii: "T")
    }

    /// Where the digits of `YYYY-MM-DD` are.
    static let digitOffsets = [0, 1, 2, 3, 5, 6, 8, 9]
    static let months: [StaticString] = ["Jan ", "Feb ", "Mar ", "Apr ", "May ", "Jun ", "Jul ", "Aug ", "Sep ", "Oct ", "Nov ", "Dec "]

    /// A BSD timestamp: a month name, a space, then the day.
    static func rfc3164(_ p: Bytes, at: Int) -> Bool {
        months.contains { p.starts(with: $0, at: at) }
    }
}
