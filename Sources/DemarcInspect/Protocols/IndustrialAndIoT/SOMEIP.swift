import DemarcBase
import DemarcDecode
/// SOME/IP (automotive service middleware): message id, a length covering the rest of
/// the message, request id, protocol version 1, interface version, message type and
/// return code.
public enum SOMEIPInspector: ProtocolInspector {
    public static let transports: Transports = .both

    static let messageTypes: Set<UInt8> = [0x00, 0x01, 0x02, 0x40, 0x41, 0x42, 0x80, 0x81, 0xc0, 0xc1]

    public static func identify(_ c: inout InspectionContext, _ p: Bytes) -> Identification {
        guard p.count >= 16, let len = p.u32(4), len >= 8, p.u8(12) == 1, let type = p.u8(14),
              messageTypes.contains(type & ~0x20), let rc = p.u8(15), rc <= 0x5e else { return .no }
        // One message per datagram; TCP may carry several in a segment.
        guard c.isUDP ? Int(len) + 8 == p.count : Int(len) + 8 <= p.count else { return .no }
        c.identify(.someip)
        return .yes
    }
}
