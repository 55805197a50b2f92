import DemarcBase
import DemarcDecode
/// OSCAR, the protocol of AOL Instant Messenger and ICQ (AOL's OSCAR protocol
/// documentation, "FLAP" and "SNAC"; Wireshark's AIM dissector follows the same layout):
/// everything on the TCP connection is a FLAP frame, a 6-byte header of the marker 0x2A
/// ('*'), a frame type (1 sign-on, 2 data, 3 error, 4 sign-off, 5 keep-alive), a 2-byte
/// sequence number and a 2-byte length of the data after it. A connection opens with the
/// sign-on frame each side sends, whose data begins with the FLAP version 00 00 00 01;
/// data frames carry a SNAC, a 10-byte header of a food group (family 0x0001 to 0x0025),
/// a subtype, flags and a request id. FLAP frames filling the segment, the first a
/// sign-on or a SNAC of a known food group, name the protocol; messages travel in clear
/// unless the connection is TLS (claimed first by the TLS inspector).
public enum OSCARInspector: ProtocolInspector {
    public static let transports: Transports = .tcp

    public static func identify(_ c: inout InspectionContext, _ p: Bytes) -> Identification {
        guard p.u8(0) == 0x2a, let type = p.u8(1), let length = p.u16(4) else { return .no }
        switch type {
        case 1:
            guard length >= 4, p.u32(6) == 1 else { return .no }
        case 2:
            guard length >= 10, let family = p.u16(6), family >= 1, family <= 0x25, let subtype = p.u16(8),
                  subtype >= 1, subtype <= 0x40 else { return .no }
        default:
            return .no
        }
        let framed = Framing.fills(p, limit: 16) { at in
            guard p.u8(at) == 0x2a, let t = p.u8(at + 1), t >= 1, t <= 5, let n = p.u16(at + 4) else { return nil }
            return Int(n) + 6
        }
        guard framed else { return .no }
        c.identify(.oscar)
        return .yes
    }
}
