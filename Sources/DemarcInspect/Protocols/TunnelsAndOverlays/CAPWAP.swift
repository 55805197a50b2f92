import DemarcBase
import DemarcDecode
/// CAPWAP (RFC 5415: wireless access points and their controller, UDP 5246 for control
/// and 5247 for data, ports the RFC fixes). A preamble of version 0 says what follows:
/// type 0, a CAPWAP header (its length in 4-byte words, the radio and wireless binding
/// ids); type 1, a DTLS header and a DTLS record. Discovery travels readable before the
/// control channel's DTLS session, and the data channel stays readable unless DTLS is
/// negotiated for it: a flow is cleartext until its DTLS shows, encrypted from then on.
public enum CAPWAPInspector: ProtocolInspector {
    public static let transports: Transports = .udp

    public static func identify(_ c: inout InspectionContext, _ p: Bytes) -> Identification {
        guard c.port(5246) || c.port(5247) else { return .no }
        if isDTLS(p) {
            c.identify(.capwap, .encrypted)
            return .yes
        }
        // HLEN (5 bits, in words), RID (5), WBID (5: 1 for IEEE 802.11, 3 for EPCglobal).
        guard p.u8(0) == 0, let b1 = p.u8(1), let b2 = p.u8(2), p.count >= 8 else { return .no }
        let hlen = Int(b1 >> 3) * 4, wbid = (b2 >> 1) & 0x1f
        guard hlen >= 8, hlen <= p.count, wbid == 1 || wbid == 3 else { return .no }
        c.identify(.capwap, .cleartext, keepInspecting: true)
        return .yes
    }

    public static func follow(_ c: inout InspectionContext, _ p: Bytes) {
        if isDTLS(p) {
            c.state.state = .encrypted
            c.state.active = false
        }
    }

    /// Preamble type 1 (its 4-byte DTLS header), then a DTLS record.
    static func isDTLS(_ p: Bytes) -> Bool {
        guard p.u8(0) == 1, let type = p.u8(4), (20...25).contains(type), p.u8(5) == 0xfe,
              let minor = p.u8(6), minor == 0xff || minor == 0xfd || minor == 0xfc,
              let len = p.u16(15), 17 + Int(len) <= p.count else { return false }
        return true
    }
}
