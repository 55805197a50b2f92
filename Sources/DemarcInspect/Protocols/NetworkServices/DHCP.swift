import DemarcBase
import DemarcDecode
/// DHCP (BOOTP with the magic cookie) and DHCPv6.
public enum DHCPInspector: ProtocolInspector {
    public static let transports: Transports = .udp

    public static func identify(_ c: inout InspectionContext, _ p: Bytes) -> Identification {
        if c.port(67) || c.port(68) {
            guard let op = p.u8(0), op == 1 || op == 2, p.u8(1) == 1, p.u8(2) == 6, p.u32(236) == 0x6382_5363 else { return .no }
            c.identify(.dhcp)
            return .yes
        }
        if c.port(546) || c.port(547) {
            guard let t = p.u8(0), (1...13).contains(t), p.count >= 4 else { return .no }
            c.identify(.dhcpv6)
            return .yes
        }
        return .no
    }
}
