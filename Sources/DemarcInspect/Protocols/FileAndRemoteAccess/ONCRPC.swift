import DemarcBase
import DemarcDecode
/// ONC RPC (NFS, portmapper, mount…): a call with RPC version 2 and a known program, or
/// TCP's record marker before it. The call's credential says how it is protected:
/// RPCSEC_GSS (RFC 2203) data calls name their service, privacy (Kerberos krb5p)
/// encrypting the arguments and integrity (krb5i) only signing them; a context being set
/// up says nothing yet, so the flow is followed to its first data call. AUTH_TLS (RFC
/// 9289) probes for TLS, which then starts in the same connection. Other credentials
/// (AUTH_SYS, none) leave the calls in clear.
public enum RPCInspector: ProtocolInspector {
    public static let transports: Transports = .both

    /// What a call's credential says of protection.
    enum Protection: Equatable { case clear, integrity, privacy, pending, tlsProbe }

    static func protection(_ p: Bytes, at off: Int) -> Protection? {
        guard let flavor = p.u32(off + 24) else { return nil }
        switch flavor {
        case 6:
            guard p.u32(off + 32) == 1, let proc = p.u32(off + 36), let service = p.u32(off + 44) else { return nil }
            if proc != 0 { return proc <= 3 ? .pending : nil }
            switch service {
            case 1: return .clear
            case 2: return .integrity
            case 3: return .privacy
            default: return nil
            }
        case 7: return .tlsProbe
        default: return .clear
        }
    }

    public static func identify(_ c: inout InspectionContext, _ p: Bytes) -> Identification {
        let off = c.isTCP ? 4 : 0
        if c.isTCP {
            guard let mark = p.u32(0), mark & 0x8000_0000 != 0 else { return .no }
        }
        guard let type = p.u32(off + 4) else { return .no }
        if type == 0 {
            guard let protection = callProtection(c, p), let prog = p.u32(off + 12),
                  (100_000...100_300).contains(prog) else { return .no }
            judge(&c, protection)
            return .yes
        }
        if type == 1 && (c.port(2049) || c.port(111)) {
            guard let stat = p.u32(off + 8), stat <= 1 else { return .no }
            // An accepted reply's verifier is RPCSEC_GSS's when the calls were: which
            // service they used, only a call says.
            judge(&c, stat == 0 && p.u32(off + 12) == 6 ? .pending : .clear)
            return .yes
        }
        return .no
    }

    static func judge(_ c: inout InspectionContext, _ protection: Protection) {
        switch protection {
        case .clear:
            c.identify(.nfs, .cleartext)
        case .integrity:
            c.identify(.nfs, .cleartext)
            c.details().banner = "RPCSEC_GSS integrity: signed, not encrypted"
        case .privacy:
            c.identify(.nfs, .encrypted)
            c.details().banner = "RPCSEC_GSS privacy"
        case .pending, .tlsProbe:
            c.identify(.nfs, .unknown, keepInspecting: true)
        }
    }

    /// Calls after a context set-up or a reply seen first; TLS after an AUTH_TLS probe.
    public static func follow(_ c: inout InspectionContext, _ p: Bytes) {
        if Upgrade.tlsStarts(&c, p) { return }
        guard c.fromClient, let protection = callProtection(c, p) else { return }
        judge(&c, protection)
    }

    /// An RPC version 2 call (after TCP's record marker, whose last-fragment bit it sets)
    /// and what its credential says.
    static func callProtection(_ c: InspectionContext, _ p: Bytes) -> Protection? {
        let off = c.isTCP ? 4 : 0
        guard !c.isTCP || p.u32(0).map({ $0 & 0x8000_0000 != 0 }) == true,
              p.u32(off + 4) == 0, p.u32(off + 8) == 2 else { return nil }
        return protection(p, at: off)
    }
}
