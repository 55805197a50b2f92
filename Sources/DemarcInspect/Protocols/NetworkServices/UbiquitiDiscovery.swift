import DemarcBase
import DemarcDecode
/// Ubiquiti's device discovery (UDP 10001, as UniFi and airOS devices answer it): a
/// version (1 or 2), a command, the length of what follows, then type-length-value fields
/// (hardware address, IP, model, firmware, name) that fill the datagram exactly. Readable
/// by anyone on the path: cleartext.
public enum UbiquitiDiscoveryInspector: ProtocolInspector {
    public static let transports: Transports = .udp

    public static func identify(_ c: inout InspectionContext, _ p: Bytes) -> Identification {
        guard c.port(10001), let version = p.u8(0), version == 1 || version == 2, let len = p.u16(2),
              Int(len) + 4 == p.count else { return .no }
        var off = 4
        while off < p.count {
            guard p.u8(off) != nil, let n = p.u16(off + 1), off + 3 + Int(n) <= p.count else { return .no }
            off += 3 + Int(n)
        }
        c.identify(.ubiquiti)
        return .yes
    }
}
