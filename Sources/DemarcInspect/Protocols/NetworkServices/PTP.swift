import DemarcBase
import DemarcDecode
/// Precision Time Protocol version 2 (IEEE 1588-2008, section 13.3) on its UDP ports 319
/// (event) and 320 (general): a common header whose low nibbles give the message type
/// (Sync to Management) and version 2, and whose message length is the datagram's.
public enum PTPInspector: ProtocolInspector {
    public static let transports: Transports = .udp

    static let messageTypes: Set<UInt8> = [0x0, 0x1, 0x2, 0x3, 0x8, 0x9, 0xa, 0xb, 0xc, 0xd]

    public static func identify(_ c: inout InspectionContext, _ p: Bytes) -> Identification {
        guard c.port(319) || c.port(320), p.count >= 34, let t = p.u8(0), messageTypes.contains(t & 0x0f),
              p.u8(1).map({ $0 & 0x0f == 2 }) == true, let len = p.u16(2), Int(len) == p.count else { return .no }
        c.identify(.ptp)
        return .yes
    }
}
