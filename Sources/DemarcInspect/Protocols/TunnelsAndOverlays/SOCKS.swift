import DemarcBase
import DemarcDecode
/// SOCKS 4 and 5 greetings. The connection then carries what the client tunnels through
/// the proxy: a TLS hello that follows makes it encrypted (an upgrade, as after HTTP's
/// CONNECT).
public enum SOCKSInspector: UpgradesToTLS {
    public static let transports: Transports = .tcp

    public static func identify(_ c: inout InspectionContext, _ p: Bytes) -> Identification {
        guard c.fromClient, let v = p.u8(0) else { return .no }
        if v == 5, let n = p.u8(1), n >= 1, Int(n) + 2 == p.count {
            for i in 0..<Int(n) { guard let m = p.u8(2 + i), m <= 0x09 || m == 0xff else { return .no } }
            c.identify(.socks, keepInspecting: true)
            return .yes
        }
        if v == 4, let cmd = p.u8(1), cmd == 1 || cmd == 2, p.count >= 9, p.u8(p.count - 1) == 0 {
            c.identify(.socks, keepInspecting: true)
            return .yes
        }
        return .no
    }
}
