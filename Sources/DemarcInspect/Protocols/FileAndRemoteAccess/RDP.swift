import DemarcBase
import DemarcDecode
/// RDP: the X.224 connection request and confirm inside TPKT. If the server selects TLS
/// or CredSSP, the TLS hello that follows upgrades the flow.
public enum RDPInspector: UpgradesToTLS {
    public static let transports: Transports = .tcp

    public static func identify(_ c: inout InspectionContext, _ p: Bytes) -> Identification {
        guard p.u8(0) == 0x03, p.u8(1) == 0x00, let len = p.u16(2), Int(len) == p.count, let li = p.u8(4),
              Int(li) + 5 <= p.count, let code = p.u8(5), code == 0xe0 || code == 0xd0 else { return .no }
        c.identify(.rdp, .cleartext, keepInspecting: true)
        return .yes
    }
}
