import DemarcBase
import DemarcDecode
/// SNMP v1, v2c and v3 (BER message with a version integer). A v3 message whose flags
/// ask for privacy carries an encrypted PDU. The flow is encrypted only while every
/// message of it is: one v1 or v2c message, or a v3 message without privacy, on the same
/// ports (traps beside authPriv requests) puts its PDU on the wire in clear.
public enum SNMPInspector: ProtocolInspector {
    public static let transports: Transports = .udp

    public static func identify(_ c: inout InspectionContext, _ p: Bytes) -> Identification {
        guard c.port(161) || c.port(162), let (state, v, h) = message(p) else { return .no }
        c.identify(.snmp, state, keepInspecting: state == .encrypted)
        // v1 and v2c: the community string after the version is the password.
        if v <= 1, p.u8(4 + h) == 0x04, let (cl, _) = BER.length(p, at: 5 + h), cl > 0 {
            Credentials.add(&c, .snmpCommunity, user: nil)
        }
        return .yes
    }

    /// Later messages of a flow that was encrypted so far: one in clear settles it.
    public static func follow(_ c: inout InspectionContext, _ p: Bytes) {
        guard let (state, _, _) = message(p), state == .cleartext else { return }
        c.state.state = .cleartext
        c.state.active = false
    }

    /// A message's encryption, its version and the length of its outer length field.
    static func message(_ p: Bytes) -> (EncryptionState, UInt8, Int)? {
        guard p.u8(0) == 0x30, let (_, h) = BER.length(p, at: 1),
              p.u8(1 + h) == 0x02, p.u8(2 + h) == 0x01, let v = p.u8(3 + h), v <= 1 || v == 3 else { return nil }
        var state = EncryptionState.cleartext
        if v == 3 {
            // msgGlobalData: SEQUENCE { msgID, msgMaxSize, msgFlags (OCTET STRING), … }
            var off = 4 + h
            if p.u8(off) == 0x30, let (_, gh) = BER.length(p, at: off + 1) {
                off += 1 + gh
                for _ in 0..<2 {
                    guard p.u8(off) == 0x02, let (l, lh) = BER.length(p, at: off + 1) else { break }
                    off += 1 + lh + l
                }
                if p.u8(off) == 0x04, p.u8(off + 1) == 0x01, let flags = p.u8(off + 2), flags & 0x02 != 0 { state = .encrypted }
            }
        }
        return (state, v, h)
    }
}
