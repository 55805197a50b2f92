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
        Credentials.redisAuth(&c, p)
        if c.index >= 4 || !(c.existingDetails()?.credentials.isEmpty ?? true) { c.state.active = false }
    }
}
