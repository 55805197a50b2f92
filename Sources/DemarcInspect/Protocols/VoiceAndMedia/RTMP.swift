import DemarcBase
import DemarcDecode
/// RTMP's handshake (Adobe's RTMP specification, section 5.2) on its port 1935: the
/// client's C0 is the version byte, 3 for RTMP or 6 for RTMPE (RTMP encrypted with a
/// Diffie-Hellman key exchange), and C1 follows, 1536 bytes: a 4-byte time and 4 bytes
/// that are zero in the simple handshake or name a Flash version in the digest one.
/// C0 and C1 together are 1537 bytes, so the first segment holds at least C0 and the
/// time field, or all of them.
public enum RTMPInspector: ProtocolInspector {
    public static let transports: Transports = .tcp

    public static func identify(_ c: inout InspectionContext, _ p: Bytes) -> Identification {
        guard c.fromClient, c.index == 0, c.port(1935), let version = p.u8(0), version == 3 || version == 6,
              p.count >= 9, p.count <= 1537 + 1536 else { return .no }
        c.identify(.rtmp, version == 6 ? .encrypted : .cleartext)
        return .yes
    }
}
