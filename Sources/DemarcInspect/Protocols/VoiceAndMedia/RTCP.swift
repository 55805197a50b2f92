import DemarcBase
import DemarcDecode
/// RTCP on its own 5-tuple (RTP's port + 1, where the media does not multiplex it): SRTCP
/// makes the flow SRTP, encrypted; plain compound RTCP, which carries the participants'
/// names (CNAME, often user@host) and reception statistics in clear, makes it RTP,
/// cleartext. One sound packet decides.
public enum RTCPInspector: ProtocolInspector {
    public static let transports: Transports = .udp

    public static func identify(_ c: inout InspectionContext, _ p: Bytes) -> Identification {
        claim(&c, p) ? .yes : .no
    }

    /// Settles the flow as SRTP or RTP when the datagram is RTCP of either kind; STUN
    /// hands the media that follows ICE here too.
    static func claim(_ c: inout InspectionContext, _ p: Bytes) -> Bool {
        guard let b0 = p.u8(0), b0 & 0xc0 == 0x80 else { return false }
        if RTP.isEncryptedRTCP(p) {
            c.identify(.srtp)
        } else if RTP.isRTCP(p) {
            c.identify(.rtp, .cleartext)
        } else {
            return false
        }
        return true
    }
}
