import DemarcBase
import DemarcDecode
/// HAProxy's PROXY protocol (haproxy's doc/proxy-protocol.txt), the header a proxy puts
/// before the connection it relays to pass on the client's address: version 1 is a text
/// line "PROXY TCP4|TCP6|UNKNOWN ..." ending in CR LF (at most 107 bytes); version 2 is
/// the 12-byte signature "\r\n\r\n\0\r\nQUIT\n", a version and command byte (0x20 local,
/// 0x21 proxy), an address family and transport byte, and the length of the addresses
/// after its 16-byte header, which must lie within the payload.
///
/// The header only carries addresses: the flow is as encrypted as the connection it
/// relays. A TLS record right after the header makes it encrypted, other bytes there
/// cleartext; a header alone in its segment leaves the next one, the relayed
/// protocol's own first bytes, to the other inspectors.
public enum ProxyProtocolInspector: ProtocolInspector {
    public static let transports: Transports = .tcp

    public static func identify(_ c: inout InspectionContext, _ p: Bytes) -> Identification {
        let end: Int
        if p.starts(with: "\r\n\r\n\0\r\nQUIT\n") {
            guard let command = p.u8(12), command == 0x20 || command == 0x21,
                  let family = p.u8(13), family >> 4 <= 3 && family & 0x0f <= 2,
                  let length = p.u16(14), p.count >= 16 + Int(length) else { return .no }
            end = 16 + Int(length)
        } else if p.starts(with: "PROXY ") {
            guard p.starts(with: "TCP4 ", at: 6) || p.starts(with: "TCP6 ", at: 6) || p.starts(with: "UNKNOWN", at: 6),
                  let cr = p.find(0x0d, from: 6, limit: 102), p.u8(cr + 1) == 0x0a,
                  p.isPrintableASCII(6, cr - 6) else { return .no }
            end = cr + 2
        } else {
            return .no
        }
        guard end < p.count else { return .notYet }
        c.identify(.haproxy, isTLSRecord(p, at: end) ? .encrypted : .cleartext)
        return .yes
    }

    /// A TLS record header: handshake, alert or application data, version 3.x.
    static func isTLSRecord(_ p: Bytes, at: Int) -> Bool {
        guard let type = p.u8(at), type >= 0x15 && type <= 0x17, p.u8(at + 1) == 3, let minor = p.u8(at + 2) else { return false }
        return minor <= 4
    }
}
