import DemarcBase
import DemarcDecode
/// SNMP v1, v2c and v3 (BER message with a version integer). A v3 message whose flags
/// ask for privacy carries an encrypted PDU.
public enum SNMPInspector: ProtocolInspector {
    public static let transports: Transports = .udp

    public static func identify(_ c: inout InspectionContext, _ p: Bytes) -> Identification {
        guard c.port(161) || c.port(162), p.u8(0) == 0x30, let (_, h) = BER.length(p, at: 1),
              p.u8(1 + h) == 0x02, p.u8(2 + h) == 0x01, let v = p.u8(3 + h), v <= 1 || v == 3 else { return .no }
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
        c.identify(.snmp, state)
        // v1 and v2c: the community string after the version is the password.
        if v <= 1, p.u8(4 + h) == 0x04, let (cl, _) = BER.length(p, at: 5 + h), cl > 0 {
            Credentials.add(&c, .snmpCommunity, user: nil)
        }
        return .yes
    }
}
