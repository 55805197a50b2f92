import DemarcBase
import DemarcDecode
/// PostgreSQL: the startup message (protocol 3.0) or SSLRequest. After an SSLRequest the
/// server answers 'S' and a TLS hello follows (upgrade), or 'N' and the session stays
/// cleartext. A cleartext session is followed through authentication: when the server
/// asks for the password in clear (AuthenticationCleartextPassword) and the client sends
/// it, that is a reusable credential (the user from the startup message).
public enum PostgreSQLInspector: ProtocolInspector {
    public static let transports: Transports = .tcp

    enum Phase: UInt8, ProtocolPhase {
        case startup
        /// The client asked for TLS (or GSSAPI encryption); the server's one-byte answer is due.
        case encryptionRequested
        /// The server asked for the password in clear; the client's PasswordMessage is due.
        case passwordRequested
    }

    /// The startup message's protocol code (3.0).
    static let protocol3: UInt32 = 196_608

    public static func identify(_ c: inout InspectionContext, _ p: Bytes) -> Identification {
        guard c.fromClient, let len = p.u32(0), let code = p.u32(4), Int(len) == p.count || (len >= 8 && len < 10_000 && Int(len) <= p.count) else {
            return c.fromClient ? .no : .notYet
        }
        switch code {
        case 80_877_103, 80_877_104:
            guard len == 8 else { return .no }
            c.identify(.postgresql, .unknown, keepInspecting: true)
            c.enter(Phase.encryptionRequested)
        case protocol3:
            c.identify(.postgresql, .cleartext, keepInspecting: true)
            startup(&c, p)
        default:
            return .no
        }
        return .yes
    }

    public static func follow(_ c: inout InspectionContext, _ p: Bytes) {
        if Upgrade.tlsStarts(&c, p) { return }
        switch c.phase(Phase.self) {
        case .encryptionRequested:
            if !c.fromClient && p.count == 1 {
                if p.u8(0) == UInt8(ascii: "N") {
                    c.state.state = .cleartext
                    c.enter(Phase.startup)
                }
                return
            }
            if c.fromClient, p.u32(4) == protocol3 {
                c.state.state = .cleartext
                c.enter(Phase.startup)
                startup(&c, p)
            }
        case .startup:
            if c.fromClient, p.u32(4) == protocol3 { startup(&c, p); return }
            // The server's Authentication message: 3 asks for the password in clear; any
            // other (OK, MD5, SASL) means no cleartext password will cross.
            guard !c.fromClient, p.u8(0) == UInt8(ascii: "R"), let code = p.u32(5) else { return }
            if code == 3 { c.enter(Phase.passwordRequested) } else { c.state.active = false }
        case .passwordRequested:
            guard c.fromClient, p.u8(0) == UInt8(ascii: "p"), let len = p.u32(1), len > 5 else { return }
            Credentials.add(&c, .postgresql, user: Credentials.pendingUser(c))
            c.state.active = false
        case nil:
            c.state.active = false
        }
    }

    /// The user named in a startup message's parameters (`user`, NUL, the name, NUL).
    static func startup(_ c: inout InspectionContext, _ p: Bytes) {
        var off = 8
        while off < min(p.count, 1024) {
            guard let keyEnd = p.find(0, from: off, limit: 64), keyEnd > off else { return }
            guard let valueEnd = p.find(0, from: keyEnd + 1, limit: 256) else { return }
            if keyEnd - off == 4, p.starts(with: "user", at: off) {
                Credentials.pend(c, user: p.text(keyEnd + 1, valueEnd - keyEnd - 1))
                return
            }
            off = valueEnd + 1
        }
    }
}
