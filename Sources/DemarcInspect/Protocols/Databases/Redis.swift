import DemarcBase
import DemarcDecode
/// Redis: RESP arrays of bulk strings, or the inline PING.
public enum RedisInspector: ProtocolInspector {
    public static let transports: Transports = .tcp

    public static func identify(_ c: inout InspectionContext, _ p: Bytes) -> Identification {
        guard c.fromClient, p.u8(0) == UInt8(ascii: "*") else { return .no }
        var i = 1
        while let b = p.u8(i), b >= 0x30 && b <= 0x39, i < 8 { i += 1 }
        guard i > 1, p.u8(i) == 0x0d, p.u8(i + 1) == 0x0a, p.u8(i + 2) == UInt8(ascii: "$") else { return .no }
        c.identify(.redis, keepInspecting: true)
        follow(&c, p)
        return .yes
    }

    /// The first few commands, for an AUTH in clear.
    public static func follow(_ c: inout InspectionContext, _ p: Bytes) {
        auth(&c, p)
        if c.index >= 4 || !(c.existingDetails()?.credentials.isEmpty ?? true) { c.state.active = false }
    }

    /// Redis `AUTH [user] password`, as a RESP array or an inline command.
    static func auth(_ c: inout InspectionContext, _ p: Bytes) {
        guard c.fromClient else { return }
        if p.u8(0) == UInt8(ascii: "*"), let n = p.u8(1), n == UInt8(ascii: "2") || n == UInt8(ascii: "3"),
           let at = p.find(0x0a, limit: 16), p.u8(at + 1) == UInt8(ascii: "$"), let l = p.find(0x0a, from: at + 1, limit: 16),
           p.startsCaseless(with: "AUTH\r\n", at: l + 1) {
            var user: String?
            if n == UInt8(ascii: "3"), let l2 = p.find(0x0a, from: l + 7, limit: 16), let e = p.find(0x0d, from: l2 + 1, limit: Credentials.userLimit + 2) {
                user = p.text(l2 + 1, e - l2 - 1)
            }
            Credentials.add(&c, .redis, user: user)
        } else if let rest = Credentials.argument(p, "AUTH "), !rest.isEmpty {
            let words = rest.split(separator: " ")
            Credentials.add(&c, .redis, user: words.count >= 2 ? String(words[0]) : nil)
        }
    }
}
