import DemarcBase
import DemarcDecode
/// PostgreSQL: the startup message (protocol 3.0) or SSLRequest. After an SSLRequest the
/// server answers 'S' and a TLS hello follows (upgrade), or 'N' and the session stays
/// cleartext.
public enum PostgreSQLInspector: ProtocolInspector {
    public static let transports: Transports = .tcp

    enum Phase: UInt8, ProtocolPhase {
        case startup
        /// The client asked for TLS (or GSSAPI encryption); the server's one-byte answer is due.
        case encryptionRequested
    }

    public static func identify(_ c: inout InspectionContext, _ p: Bytes) -> Identification {
        guard c.fromClient, let len = p.u32(0), let code = p.u32(4), Int(len) == p.count || (len >= 8 && len < 10_000 && Int(len) <= p.count) else {
            return c.fromClient ? .no : .notYet
        }
        switch code {
        case 80_877_103, 80_877_104:
            guard len == 8 else { return .no }
            c.identify(.postgresql, .unknown, keepInspecting: true)
            c.enter(Phase.encryptionRequested)
        case 196_608:
            c.identify(.postgresql, .cleartext)
        default:
            return .no
        }
        return .yes
    }

    public static func follow(_ c: inout InspectionContext, _ p: Bytes) {
        if Upgrade.tlsStarts(&c, p) { return }
        if !c.fromClient && c.phase(Phase.self) == .encryptionRequested && p.count == 1 {
            if p.u8(0) == UInt8(ascii: "N") {
                c.state.state = .cleartext
                c.state.active = false
            }
            return
        }
        if c.fromClient && c.phase(Phase.self) == .encryptionRequested, let code = p.u32(4), code == 196_608 {
            c.state.state = .cleartext
            c.state.active = false
        }
    }
}
