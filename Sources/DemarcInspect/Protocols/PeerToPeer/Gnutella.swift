import DemarcBase
import DemarcDecode
/// Gnutella. On TCP the 0.6 handshake's first line ("GNUTELLA CONNECT/0.6",
/// "GNUTELLA/0.6 200 OK"). On UDP a 0.6 descriptor (RFC-Gnutella 0.6, section 2.2: a
/// 16-byte GUID, the payload type, TTL and hops, and a little-endian payload length that
/// the rest of the datagram fills exactly), or a Gnutella2 UDP packet ("GND", flags, a
/// sequence number, and part n of a count of parts).
public enum GnutellaInspector: ProtocolInspector {
    public static let transports: Transports = .both

    /// Gnutella 0.6's payload types: ping, pong, bye, query routing, vendor messages
    /// (standard and extended), push, query, query hit.
    static let payloadTypes: Set<UInt8> = [0x00, 0x01, 0x02, 0x30, 0x31, 0x32, 0x40, 0x80, 0x81]

    public static func identify(_ c: inout InspectionContext, _ p: Bytes) -> Identification {
        let ok: Bool
        if c.isTCP {
            ok = p.starts(with: "GNUTELLA CONNECT/") || p.starts(with: "GNUTELLA/0.6 ")
        } else {
            ok = isDescriptor(p) || isG2(p)
        }
        guard ok else { return .no }
        c.identify(.gnutella)
        return .yes
    }

    static func isDescriptor(_ p: Bytes) -> Bool {
        guard p.count >= 23, let type = p.u8(16), payloadTypes.contains(type), let ttl = p.u8(17), let hops = p.u8(18),
              Int(ttl) + Int(hops) <= 16, let len = p.u32le(19) else { return false }
        return Int(len) == p.count - 23
    }

    static func isG2(_ p: Bytes) -> Bool {
        guard p.count >= 8, p.starts(with: "GND"), let part = p.u8(6), let parts = p.u8(7) else { return false }
        return part >= 1 && (parts == 0 || part <= parts)
    }
}
