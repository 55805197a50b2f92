import DemarcBase
import DemarcDecode
/// HAProxy's PROXY protocol (haproxy's doc/proxy-protocol.txt), the header a proxy puts
/// before the connection it relays to pass on the client's address: version 1 is a text
/// line "PROXY TCP4|TCP6|UNKNOWN ..." ending in CR LF (at most 107 bytes); version 2 is
/// the 12-byte signature "\r\n\r\n\0\r\nQUIT\n", a version and command byte (0x20 local,
/// 0x21 proxy), an address family and transport byte, and the length of the addresses
/// after its 16-byte header, which must lie within the payload.
public enum ProxyProtocolInspector: ProtocolInspector {
    public static let transports: Transports = .both

    public static func identify(_ c: inout InspectionContext, _ p: Bytes) -> Identification {
        if p.starts(with: "\r\n\r\n\0\r\nQUIT\n") {
            guard let command = p.u8(12), command == 0x20 || command == 0x21,
                  let family = p.u8(13), family >> 4 <= 3 && family & 0x0f <= 2,
                  let length = p.u16(14), p.count >= 16 + Int(length) else { return .no }
        } else if p.starts(with: "PROXY ") {
            guard p.starts(with: "TCP4 ", at: 6) || p.starts(with: "TCP6 ", at: 6) || p.starts(with: "UNKNOWN", at: 6),
                  let cr = p.find(0x0d, from: 6, limit: 102), p.u8(cr + 1) == 0x0a,
                  p.isPrintableASCII(6, cr - 6) else { return .no }
        } else {
            return .no
        }
        c.identify(.haproxy)
        return .yes
    }
}
