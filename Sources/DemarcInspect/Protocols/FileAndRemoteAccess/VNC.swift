import DemarcBase
import DemarcDecode
/// VNC (RFB): the protocol version greeting, then the security type the client picks.
/// TLS (18) or VeNCrypt (19) followed by a TLS handshake is encrypted (`upgraded`;
/// TigerVNC's TLSNone negotiates an anonymous cipher suite, so it is weak); None, VNC
/// authentication (a DES challenge, then everything in clear) and VeNCrypt's Plain are
/// cleartext.
public enum VNCInspector: ProtocolInspector {
    public static let transports: Transports = .tcp

    enum Phase: UInt8, ProtocolPhase {
        case greeted
        /// The client chose TLS or VeNCrypt: a TLS handshake may follow.
        case tlsChosen
    }

    public static func identify(_ c: inout InspectionContext, _ p: Bytes) -> Identification {
        guard p.starts(with: "RFB 0"), p.count == 12 else { return .no }
        c.identify(.vnc, .cleartext, keepInspecting: true)
        return .yes
    }

    /// The client's choice of security type (one byte, RFB 3.7 on) settles it: TLS (18)
    /// and VeNCrypt (19) go on to a TLS handshake, which makes the flow encrypted (unless
    /// VeNCrypt's Plain subtype was chosen, then no TLS comes); any other type leaves the
    /// session in clear, VNC authentication's DES challenge included.
    public static func follow(_ c: inout InspectionContext, _ p: Bytes) {
        if c.phase(Phase.self) == .tlsChosen {
            _ = Upgrade.tlsStarts(&c, p)
        } else if c.fromClient, p.count == 1, let type = p.u8(0) {
            if type == 18 || type == 19 { c.enter(Phase.tlsChosen) } else { c.state.active = false }
        }
    }
}
