import DemarcBase
import DemarcDecode
/// collectd's binary network protocol: parts laid end to end, each a 16-bit type and a
/// 16-bit length that counts the part's header, filling the datagram (on its port, 25826). Part types: host,
/// time, plugin, plugin and type instances, values, interval, message, severity,
/// high-resolution time and interval (0x0000 to 0x0009), signature (0x0200) and
/// encryption (0x0210). A datagram that opens with an encryption part is AES-256
/// ciphertext after it; signed and plain ones are readable.
public enum CollectdInspector: ProtocolInspector {
    public static let transports: Transports = .udp

    public static func identify(_ c: inout InspectionContext, _ p: Bytes) -> Identification {
        let framed = c.port(25826) && Framing.fills(p, limit: 64) { at in
            guard let type = p.u16(at), type <= 0x0009 || type == 0x0100 || type == 0x0101 || type == 0x0200
                    || type == 0x0210, let len = p.u16(at + 2), len >= 4 else { return nil }
            return Int(len)
        }
        guard framed else { return .no }
        c.identify(.collectd, p.u16(0) == 0x0210 ? .encrypted : .cleartext)
        return .yes
    }
}
