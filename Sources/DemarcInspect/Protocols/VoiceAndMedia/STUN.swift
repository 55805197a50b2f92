import DemarcBase
import DemarcDecode
/// STUN and TURN (RFC 5389 with its magic cookie, or RFC 3489's classic messages),
/// cleartext. What follows on the same 5-tuple decides what the flow becomes (ICE,
/// RFC 7983): a DTLS handshake makes it DTLS, encrypted; media is judged by its RTCP,
/// since RTP's own bytes cannot tell SRTP from a compressed codec (RTCPInspector.claim:
/// SRTCP's E flag and index make it SRTP, encrypted, as WhatsApp, Signal and WebRTC calls
/// are; plain RTCP tiling the datagram makes it RTP, cleartext); Zoom's media header
/// hands it to ZoomInspector. Media with no RTCP yet seen stays STUN, cleartext. nDPI
/// labels such calls by their STUN (cleartext): what their payload shows is encrypted.
public enum STUNInspector: ProtocolInspector {
    public static let transports: Transports = .both

    public static func identify(_ c: inout InspectionContext, _ p: Bytes) -> Identification {
        var m = p
        if c.isTCP, let framed = p.u16(0), Int(framed) + 2 == p.count, p.u32(6) == 0x2112_a442 { m = p.slice(2, -1) }
        guard let type = m.u16(0), type & 0xc000 == 0, let len = m.u16(2), Int(len) + 20 == m.count else { return .no }
        let cookie = m.u32(4) == 0x2112_a442
        // RFC 5389 pads attributes to 4 bytes; some implementations do not, so only
        // classic (cookie-less) messages must be aligned.
        guard cookie || len % 4 == 0 else { return .no }
        let classic: Set<UInt16> = [0x0001, 0x0101, 0x0111, 0x0002, 0x0102, 0x0112, 0x0003, 0x0103, 0x0113]
        guard cookie || classic.contains(type) else { return .no }
        c.identify(.stun, keepInspecting: c.isUDP)
        return .yes
    }

    static let dtlsOwner = PayloadInspector.owner(of: DTLSInspector.self)
    static let zoomOwner = PayloadInspector.owner(of: ZoomInspector.self)

    /// ICE multiplexes STUN with the media it sets up on one 5-tuple (RFC 7983: first
    /// byte 0-3 STUN, 20-63 DTLS, 128-191 RTP and RTCP). A DTLS handshake that follows
    /// makes the flow DTLS; RTCP says whether the media is SRTP (encrypted) or plain RTP;
    /// Zoom's peer-to-peer media makes it Zoom.
    public static func follow(_ c: inout InspectionContext, _ p: Bytes) {
        guard let b0 = p.u8(0) else { return }
        switch b0 {
        case 20...63:
            if DTLSInspector.identify(&c, p) == .yes { c.state.owner = dtlsOwner }
        case 128...191:
            _ = RTCPInspector.claim(&c, p)
        default:
            if ZoomInspector.claim(&c, p) { c.state.owner = zoomOwner }
        }
    }
}
