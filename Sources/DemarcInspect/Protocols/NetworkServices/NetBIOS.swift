import DemarcBase
import DemarcDecode
/// NetBIOS: name service (UDP 137, DNS-like), datagrams (UDP 138), sessions (TCP 139).
public enum NetBIOSInspector: ProtocolInspector {
    public static let transports: Transports = .both

    public static func identify(_ c: inout InspectionContext, _ p: Bytes) -> Identification {
        if c.isUDP && c.port(137) {
            guard DNSInspector.valid(p, strict: false) else { return .no }
        } else if c.isUDP && c.port(138) {
            guard let t = p.u8(0), (0x10...0x16).contains(t), p.count >= 10 else { return .no }
        } else if c.isTCP && c.port(139) {
            guard let t = p.u8(0), [0x00, 0x81, 0x82, 0x83, 0x84, 0x85].contains(t), let len = p.u16(2), Int(len) + 4 <= p.count + 65536 else { return .no }
            if t == 0x00, SMBInspector.smb(p) != nil { return .no }
        } else {
            return .no
        }
        c.identify(.netbios)
        return .yes
    }
}
