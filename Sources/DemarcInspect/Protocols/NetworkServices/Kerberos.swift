import DemarcBase
import DemarcDecode
/// Kerberos: an application-tagged KDC message (AS/TGS request or reply, error), with
/// TCP's 4-byte record length.
public enum KerberosInspector: ProtocolInspector {
    public static let transports: Transports = .both

    public static func identify(_ c: inout InspectionContext, _ p: Bytes) -> Identification {
        guard c.port(88) else { return .no }
        let off = c.isTCP ? 4 : 0
        guard let tag = p.u8(off), [0x6a, 0x6b, 0x6c, 0x6d, 0x6e, 0x6f, 0x7e].contains(tag), BER.length(p, at: off + 1) != nil else { return .no }
        c.identify(.kerberos)
        return .yes
    }
}
