import DemarcBase
import DemarcDecode
/// LDAP: a BER LDAPMessage (SEQUENCE, message id, an application-tagged operation).
/// The StartTLS extended operation followed by a TLS hello upgrades.
public enum LDAPInspector: UpgradesToTLS {
    public static let transports: Transports = .both

    public static func identify(_ c: inout InspectionContext, _ p: Bytes) -> Identification {
        guard p.u8(0) == 0x30, let (len, hdr) = BER.length(p, at: 1), hdr + len <= p.count + 65536 else { return .no }
        guard p.u8(1 + hdr) == 0x02, let idLen = p.u8(2 + hdr), (1...4).contains(idLen),
              let op = p.u8(3 + hdr + Int(idLen)), (0x60...0x79).contains(op) || op == 0x42 || op == 0x4a || op == 0x50 else { return .no }
        guard c.port(389) || c.port(3268) || (op == 0x60 && c.isTCP) else { return .no }
        c.identify(.ldap, .cleartext, keepInspecting: c.isTCP)
        Credentials.ldapBind(&c, p)
        return .yes
    }

    /// A StartTLS upgrade, or a simple bind in clear.
    public static func follow(_ c: inout InspectionContext, _ p: Bytes) {
        if Upgrade.tlsStarts(&c, p) { return }
        Credentials.ldapBind(&c, p)
    }
}
