import DemarcBase
import DemarcDecode
/// Bidirectional Forwarding Detection's control packets (RFC 5880 section 4.1) on the
/// ports RFC 5881, 5883 and 5884 give them (3784, 4784, 3785): version 1, a diagnostic
/// code up to 8, the multipoint bit clear, a detection multiplier, a length that is the
/// datagram's (24 bytes, more with the authentication section) and a discriminator of
/// the sender's that is never zero.
public enum BFDInspector: ProtocolInspector {
    public static let transports: Transports = .udp

    public static func identify(_ c: inout InspectionContext, _ p: Bytes) -> Identification {
        guard c.port(3784) || c.port(4784) || c.port(3785), let b0 = p.u8(0), b0 >> 5 == 1, b0 & 0x1f <= 8,
              let flags = p.u8(1), flags & 0x01 == 0, p.u8(2).map({ $0 > 0 }) == true,
              let len = p.u8(3), Int(len) == p.count, len >= 24, (len == 24) == (flags & 0x04 == 0),
              p.u32(4).map({ $0 != 0 }) == true else { return .no }
        c.identify(.bfd)
        return .yes
    }
}
