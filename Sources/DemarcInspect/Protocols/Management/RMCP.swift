import DemarcBase
import DemarcDecode
/// RMCP (DMTF DSP0136 section 3.2.2.1) on port 623: version 6, a reserved zero, a sequence
/// number and a class (ASF, IPMI, OEM). IPMI's session header follows (IPMI 2.0 sections
/// 13.6 and 13.8): an authentication type, and for RMCP+ (type 6) a payload type whose
/// top bit says the payload is encrypted. Session setup (open session, RAKP) is in clear;
/// an encrypted payload in any packet makes the flow encrypted.
public enum RMCPInspector: ProtocolInspector {
    public static let transports: Transports = .udp

    public static func identify(_ c: inout InspectionContext, _ p: Bytes) -> Identification {
        guard c.port(623), p.count >= 8, p.u8(0) == 6, p.u8(1) == 0, let cls = p.u8(3),
              [6, 7, 8].contains(cls & 0x1f) else { return .no }
        c.identify(.rmcp, .cleartext, keepInspecting: true)
        follow(&c, p)
        return .yes
    }

    public static func follow(_ c: inout InspectionContext, _ p: Bytes) {
        guard p.u8(0) == 6, p.u8(3).map({ $0 & 0x1f == 7 }) == true, p.u8(4) == 6,
              let payload = p.u8(5), payload & 0x80 != 0 else { return }
        c.state.state = .encrypted
        c.state.active = false
    }
}
