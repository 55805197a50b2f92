import DemarcBase
import DemarcDecode
/// H.323's call signalling (ITU-T H.225.0 section 7, Q.931 messages in TPKT, RFC 1006):
/// a TPKT header (version 3, a reserved zero and the whole length, which fills the
/// payload), then Q.931's protocol discriminator 0x08, a call reference of two bytes
/// (H.225.0 fixes its length) and a message type of Q.931's (Setup, Alerting, Call
/// proceeding, Progress, Connect, Release complete, Facility, Information, Notify,
/// Status, Status enquiry).
public enum H323Inspector: ProtocolInspector {
    public static let transports: Transports = .tcp

    static func isMessage(_ type: UInt8) -> Bool {
        switch type {
        case 0x01, 0x02, 0x03, 0x05, 0x07, 0x0f, 0x5a, 0x62, 0x6e, 0x75, 0x7b, 0x7d: return true
        default: return false
        }
    }

    public static func identify(_ c: inout InspectionContext, _ p: Bytes) -> Identification {
        let framed = Framing.fills(p, limit: 8) { at in
            guard p.u8(at) == 3, p.u8(at + 1) == 0, let length = p.u16(at + 2), length >= 9,
                  p.u8(at + 4) == 0x08, p.u8(at + 5) == 2, let type = p.u8(at + 8), isMessage(type) else { return nil }
            return Int(length)
        }
        guard framed else { return .no }
        c.identify(.h323)
        return .yes
    }
}
