import DemarcBase
import DemarcDecode
/// MySQL and MariaDB: the server greeting (protocol 10). A client SSL request (the short
/// handshake response with CLIENT_SSL) followed by a TLS hello upgrades. A cleartext
/// session is followed through authentication: a password sent with the
/// `mysql_clear_password` plugin, in the handshake response or after the server switched
/// to that plugin (as MariaDB's PAM plugin does), is a `mysql-clear` credential of the
/// handshake's user.
public enum MySQLInspector: ProtocolInspector {
    public static let transports: Transports = .tcp

    enum Phase: UInt8, ProtocolPhase {
        case greeted
        /// The handshake response was sent; the server's answer (OK, error, or a switch
        /// of authentication plugin) is due.
        case authenticating
        /// The server switched to mysql_clear_password: the client's next packet is the password.
        case clearRequested
    }

    static let capabilitySSL: UInt32 = 0x800
    static let capabilityConnectWithDB: UInt32 = 0x8
    static let capabilitySecureConnection: UInt32 = 0x8000
    static let capabilityPluginAuth: UInt32 = 0x8_0000
    static let capabilityLengthEncodedAuth: UInt32 = 0x20_0000

    public static func identify(_ c: inout InspectionContext, _ p: Bytes) -> Identification {
        guard !c.fromClient, let l0 = p.u8(0), let l1 = p.u8(1), let l2 = p.u8(2), p.u8(3) == 0, p.u8(4) == 0x0a else { return .no }
        let len = Int(l0) | Int(l1) << 8 | Int(l2) << 16
        guard len + 4 == p.count, let nul = p.find(0, from: 5, limit: 64), nul > 5 else { return .no }
        let version = p.text(5, nul - 5)
        guard version.first?.isNumber == true else { return .no }
        c.identify(.mysql, .cleartext, keepInspecting: true)
        c.details().banner = version
        return .yes
    }

    public static func follow(_ c: inout InspectionContext, _ p: Bytes) {
        if c.index >= 8 { c.state.active = false; return }
        switch c.phase(Phase.self) {
        case .greeted:
            if Upgrade.tlsStarts(&c, p) { return }
            guard c.fromClient, let caps = p.u32le(4), p.count >= 36 else { return }
            // The SSL request: capabilities, max packet, charset and filler alone; TLS follows.
            if caps & capabilitySSL != 0 && p.count == 36 { return }
            handshakeResponse(&c, p, caps)
        case .authenticating:
            guard !c.fromClient, let kind = p.u8(4) else { return }
            if kind == 0xfe, p.count > 5, let nul = p.find(0, from: 5, limit: 64),
               nul - 5 == 20, p.starts(with: "mysql_clear_password", at: 5) {
                c.enter(Phase.clearRequested)
            } else if kind == 0x00 || kind == 0xff {
                c.state.active = false   // accepted or refused: no password will follow
            }
        case .clearRequested:
            guard c.fromClient else { return }
            if let first = p.u8(4), first != 0 { Credentials.add(&c, .mysqlClear, user: Credentials.pendingUser(c)) }
            c.state.active = false
        case nil:
            c.state.active = false
        }
    }

    /// The HandshakeResponse41: capabilities, max packet, charset, 23 bytes of filler, the
    /// user (NUL-terminated), the authentication response, the database and the plugin.
    static func handshakeResponse(_ c: inout InspectionContext, _ p: Bytes, _ caps: UInt32) {
        c.enter(Phase.authenticating)
        guard let userEnd = p.find(0, from: 36, limit: 256) else { return }
        let user = p.text(36, min(userEnd - 36, Credentials.userLimit))
        Credentials.pend(c, user: user)
        var off = userEnd + 1
        var authLength: Int
        if caps & capabilityLengthEncodedAuth != 0 {
            guard let b = p.u8(off), b < 0xfb else { return }   // longer encodings: not a password
            authLength = Int(b)
            off += 1
        } else if caps & capabilitySecureConnection != 0 {
            guard let b = p.u8(off) else { return }
            authLength = Int(b)
            off += 1
        } else {
            guard let nul = p.find(0, from: off, limit: 256) else { return }
            authLength = nul - off + 1
        }
        let auth = off
        off += authLength
        if caps & capabilityConnectWithDB != 0 {
            guard let nul = p.find(0, from: off, limit: 256) else { return }
            off = nul + 1
        }
        guard caps & capabilityPluginAuth != 0, let nul = p.find(0, from: off, limit: 64), nul - off == 20,
              p.starts(with: "mysql_clear_password", at: off) else { return }
        // The clear plugin sends the password and a NUL: anything before the NUL is the secret.
        if authLength > 1, let first = p.u8(auth), first != 0 {
            Credentials.add(&c, .mysqlClear, user: user.isEmpty ? nil : user)
            c.state.active = false
        }
    }
}
