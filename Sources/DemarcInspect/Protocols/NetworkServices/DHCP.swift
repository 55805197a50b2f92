import DemarcBase
import DemarcDecode
/// DHCP (BOOTP with the magic cookie) and DHCPv6 (RFC 8415 sections 8 and 9): a message
/// type of 1 to 13 and a transaction id, or a relay message's hop count and two
/// addresses, then options (a code IANA has assigned, 1 to 200, and a length) that fill
/// the datagram.
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
            let options = t >= 12 ? 34 : 4
            guard Framing.fills(p, from: options, limit: 64, { at in
                guard let code = p.u16(at), (1...200).contains(code), let length = p.u16(at + 2) else { return nil }
                return 4 + Int(length)
            }) else { return .no }
            c.identify(.dhcpv6)
            return .yes
        }
        return .no
    }
}
