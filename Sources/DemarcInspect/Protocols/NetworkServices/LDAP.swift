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
        simpleBind(&c, p)
        return .yes
    }

    /// A StartTLS upgrade, or a simple bind in clear.
    public static func follow(_ c: inout InspectionContext, _ p: Bytes) {
        if Upgrade.tlsStarts(&c, p) { return }
        simpleBind(&c, p)
    }

    /// An LDAP BindRequest with simple authentication and a non-empty password.
    static func simpleBind(_ c: inout InspectionContext, _ p: Bytes) {
        guard c.fromClient, p.u8(0) == 0x30, let (_, h) = BER.length(p, at: 1), p.u8(1 + h) == 0x02,
              let idLen = p.u8(2 + h) else { return }
        var off = 3 + h + Int(idLen)
        guard p.u8(off) == 0x60, let (_, bh) = BER.length(p, at: off + 1) else { return }
        off += 1 + bh
        guard p.u8(off) == 0x02, let (vl, vh) = BER.length(p, at: off + 1) else { return }
        off += 1 + vh + vl
        guard p.u8(off) == 0x04, let (nl, nh) = BER.length(p, at: off + 1), p.has(off + 1 + nh, nl) else { return }
        let name = p.text(off + 1 + nh, nl)
        off += 1 + nh + nl
        guard p.u8(off) == 0x80, let (pl, _) = BER.length(p, at: off + 1), pl > 0 else { return }
        Credentials.add(&c, .ldapSimple, user: name.isEmpty ? nil : name)
    }
}
