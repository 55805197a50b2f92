import DemarcBase
import DemarcDecode
/// IAX2 (RFC 5456 section 8.1.1): a full frame, its F bit set, a source call number, a
/// destination call number, a timestamp, outbound and inbound sequence numbers, a frame
/// type (1 DTMF to 10 comfort noise) and a subclass. An IAX control frame (type 6)
/// carries information elements (section 8.6), a type and a length byte each, that fill
/// the datagram; other full frames are accepted only on IAX2's port 4569.
public enum IAX2Inspector: ProtocolInspector {
    public static let transports: Transports = .udp

    public static func identify(_ c: inout InspectionContext, _ p: Bytes) -> Identification {
        guard p.count >= 12, let b0 = p.u8(0), b0 & 0x80 != 0, let type = p.u8(10), (1...10).contains(type)
        else { return .no }
        if type == 6 {
            guard let sub = p.u8(11), sub >= 1, sub <= 0x26,
                  p.count == 12 || Framing.tlvFills(p, from: 12, typeBytes: 1, lengthBytes: 1, lengthIncludesHeader: false)
            else { return .no }
        } else {
            guard c.port(4569) else { return .no }
        }
        c.identify(.iax2)
        return .yes
    }
}
