import DemarcBase
import DemarcDecode
/// Teredo (RFC 4380 section 5.1.1): IPv6 packets carried in UDP, each optionally behind an
/// authentication indicator (0x0001, client id and authentication lengths, their
/// values, a nonce and a confirmation byte) and an origin indication (0x0000, an
/// obfuscated port and address). The IPv6 header's version is 6 and its payload length
/// is what remains of the datagram after its 40 bytes. Like the other overlays it is
/// cleartext whatever it carries.
public enum TeredoInspector: ProtocolInspector {
    public static let transports: Transports = .udp

    public static func identify(_ c: inout InspectionContext, _ p: Bytes) -> Identification {
        var at = 0
        if p.u16(0) == 0x0001, let idLen = p.u8(2), let authLen = p.u8(3) {
            at = 4 + Int(idLen) + Int(authLen) + 9
        }
        if p.u16(at) == 0x0000 { at += 8 }
        guard let v = p.u8(at), v >> 4 == 6, let len = p.u16(at + 4), Int(len) + 40 == p.count - at,
              let next = p.u8(at + 6), [0, 6, 17, 43, 44, 58, 59, 60].contains(next) else { return .no }
        c.identify(.teredo)
        return .yes
    }
}
