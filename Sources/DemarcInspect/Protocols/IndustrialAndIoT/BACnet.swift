import DemarcBase
import DemarcDecode
/// BACnet/IP (ASHRAE 135 Annex J): the BVLC header, type 0x81, a function code (0x00 to
/// 0x0c), and a length that is the whole datagram's; a forwarded or original NPDU's
/// network layer header starts with version 1.
public enum BACnetInspector: ProtocolInspector {
    public static let transports: Transports = .udp

    public static func identify(_ c: inout InspectionContext, _ p: Bytes) -> Identification {
        guard p.u8(0) == 0x81, let fn = p.u8(1), fn <= 0x0c, let len = p.u16(2), Int(len) == p.count, len >= 4
        else { return .no }
        let npdu = fn == 0x04 ? 10 : 4
        if fn == 0x04 || fn == 0x0a || fn == 0x0b {
            guard p.u8(npdu) == 0x01 else { return .no }
        }
        c.identify(.bacnet)
        return .yes
    }
}
