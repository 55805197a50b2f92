import DemarcBase
import DemarcDecode
/// Kerberos on port 88 (RFC 4120 section 5): an application-tagged KDC message (AS or TGS
/// request or reply, AP request or reply, error) whose length runs to the datagram's end
/// (on TCP, to the end of the record its 4-byte length gives, section 7.2.2), holding a
/// SEQUENCE whose first element is the protocol version, 5.
public enum KerberosInspector: ProtocolInspector {
    public static let transports: Transports = .both

    public static func identify(_ c: inout InspectionContext, _ p: Bytes) -> Identification {
        guard c.port(88) else { return .no }
        var end = p.count
        if c.isTCP {
            guard let record = p.u32(0), record < 1 << 24, 4 + Int(record) >= p.count else { return .no }
            end = 4 + Int(record)
        }
        let off = c.isTCP ? 4 : 0
        guard let tag = p.u8(off), [0x6a, 0x6b, 0x6c, 0x6d, 0x6e, 0x6f, 0x7e].contains(tag),
              let (length, field) = BER.length(p, at: off + 1), off + 1 + field + length == end,
              versionFive(p, at: off + 1 + field) else { return .no }
        c.identify(.kerberos)
        return .yes
    }

    /// A SEQUENCE at `at` whose first element is pvno, context tag 0 or 1, INTEGER 5.
    static func versionFive(_ p: Bytes, at: Int) -> Bool {
        guard p.u8(at) == 0x30, let (_, field) = BER.length(p, at: at + 1) else { return false }
        let first = at + 1 + field
        guard let context = p.u8(first), context == 0xa0 || context == 0xa1 else { return false }
        return p.u8(first + 1) == 3 && p.u8(first + 2) == 2 && p.u8(first + 3) == 1 && p.u8(first + 4) == 5
    }
}
