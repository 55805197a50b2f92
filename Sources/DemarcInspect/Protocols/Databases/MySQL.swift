import DemarcBase
import DemarcDecode
/// MySQL and MariaDB: the server greeting (protocol 10). A client SSL request (the short
/// handshake response with CLIENT_SSL) followed by a TLS hello upgrades.
public enum MySQLInspector: ProtocolInspector {
    public static let transports: Transports = .tcp

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
        if Upgrade.tlsStarts(&c, p) { return }
        // A full handshake response (with user name) or any command: no upgrade.
        if c.fromClient && p.count > 40 { c.state.active = false }
    }
}
