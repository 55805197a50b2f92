import DemarcBase
import DemarcDecode
/// IAX2 (RFC 5456 section 8.1.1): a full frame, its F bit set, a source call number, a
/// destination call number, a timestamp, outbound and inbound sequence numbers, a frame
/// type (1 DTMF to 10 comfort noise) and a subclass. An IAX control frame (type 6)
/// carries information elements (section 8.6), a type and a length byte each, that fill
/// the datagram; other full frames are accepted only on IAX2's port 4569, with a source
/// call number and the subclass their type allows (section 8.2: a DTMF digit, a media
/// format's bit, a control code of 1 to 20 or -1, zero for a null frame). Text, image,
/// HTML and comfort noise frames (types 7 to 10), which no call opens with and whose
/// subclass random bytes often fit, are not taken as evidence alone.
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
            guard c.port(4569), let source = p.u16(0), source & 0x7fff != 0, let sub = p.u8(11),
                  subclassFits(sub, type: type) else { return .no }
        }
        c.identify(.iax2)
        return .yes
    }

    /// Whether `sub` is a subclass a full frame of `type` may carry.
    static func subclassFits(_ sub: UInt8, type: UInt8) -> Bool {
        switch type {
        case 1: return "0123456789ABCD*#".utf8.contains(sub)
        // A media format: one bit, or with the C bit the bit's number.
        case 2, 3: return sub & 0x80 != 0 ? sub & 0x7f <= 31 : sub != 0 && sub & (sub - 1) == 0
        case 4: return (1...20).contains(sub) || sub == 0xff
        case 5: return sub == 0
        default: return false
        }
    }
}
